"""E-mail written from templates, in the recipient's language, as HTML and plain text."""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.utils import translation

# After each attempt to hand a mail to the mail server: template (its name), sent (a bool).
# The operations app counts them for the metrics.
mail_attempted = Signal()


@dataclass(frozen=True, slots=True)
class RenderedMail:
    """A mail as its recipient reads it: what is sent, and what a preview shows."""

    template: str
    language: str
    subject: str
    text: str
    html: str


def mail_render(*, template: str, context: dict[str, object], language: str) -> RenderedMail:
    """Render `<template>_subject.txt`, `.txt` and `.html` in `language`."""
    context = {"base_url": settings.PARTNERSPACE_BASE_URL, "LANGUAGE_CODE": language, **context}
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    return RenderedMail(
        template=template,
        language=language,
        subject=" ".join(subject.split()),
        text=text,
        html=html,
    )


def mail_deliver(*, to: str, mail: RenderedMail) -> None:
    """Send a rendered mail; raises on failure.

    The caller decides what a failure means (retry, record): this function never hides one.
    """
    message = EmailMultiAlternatives(subject=mail.subject, body=mail.text, to=[to])
    message.attach_alternative(mail.html, "text/html")
    try:
        message.send(fail_silently=False)
    except Exception:
        mail_attempted.send(mail_send, template=mail.template, sent=False)
        raise
    mail_attempted.send(mail_send, template=mail.template, sent=True)


def mail_send(*, to: str, template: str, context: dict[str, object], language: str) -> None:
    """Render the template's mail (mail_render) and send it (mail_deliver); raises on failure."""
    mail_deliver(to=to, mail=mail_render(template=template, context=context, language=language))
