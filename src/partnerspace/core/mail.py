"""E-mail written from templates, in the recipient's language, as HTML and plain text."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.utils import translation

# After each attempt to hand a mail to the mail server: template (its name), sent (a bool).
# The operations app counts them for the metrics.
mail_attempted = Signal()


def mail_send(*, to: str, template: str, context: dict[str, object], language: str) -> None:
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
    try:
        message.send(fail_silently=False)
    except Exception:
        mail_attempted.send(mail_send, template=template, sent=False)
        raise
    mail_attempted.send(mail_send, template=template, sent=True)
