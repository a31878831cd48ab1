"""E-mail written from templates, in the recipient's language, as HTML and plain text."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def mail_send(*, to: str, template: str, context: dict, language: str) -> None:
    """Render `<template>_subject.txt`, `.txt` and `.html` and send them; raises on failure.

    The caller decides what a failure means (retry, record): this function never hides one.
    """
    context = {"base_url": settings.PARTNERSPACE_BASE_URL, "LANGUAGE_CODE": language, **context}
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
