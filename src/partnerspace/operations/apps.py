from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running the site: health checks, structured logs, metrics, the task queue, backups."""

    name = "partnerspace.operations"
    label = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from partnerspace.core.mail import mail_attempted
        from partnerspace.operations import logs, taskqueue

        logs.configure_structlog()
        taskqueue.connect_signals()
        mail_attempted.connect(_count_mail, dispatch_uid="partnerspace-mail-metrics")


def _count_mail(sender, *, template: str, sent: bool, **kwargs) -> None:
    from partnerspace.operations import metrics

    metrics.mail_counted(template=template, sent=sent)
