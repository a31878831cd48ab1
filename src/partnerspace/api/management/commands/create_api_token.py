from django.core.management.base import BaseCommand, CommandError

from partnerspace.accounts.models import email_key
from partnerspace.api.models import TOKEN_DEFAULT_DAYS
from partnerspace.api.services import api_token_create
from partnerspace.core.errors import ValidationFailed
from partnerspace.firms.models import Membership


class Command(BaseCommand):
    help = "Create a personal API token for a staff member of a firm and print it (once)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--firm", required=True, help="the firm's slug")
        parser.add_argument("--name", default="", help="what the token is for")
        parser.add_argument(
            "--days",
            type=int,
            default=TOKEN_DEFAULT_DAYS,
            help=f"how many days the token works (default {TOKEN_DEFAULT_DAYS})",
        )

    def handle(self, *args, email, firm, name, days, **options):
        membership = (
            Membership.objects.select_related("firm", "user")
            .filter(user__email=email_key(email), firm__slug=firm)
            .first()
        )
        if membership is None:
            raise CommandError(f"{email} is not a member of firm {firm!r}.")
        try:
            created = api_token_create(membership=membership, name=name, days=days)
        except ValidationFailed as refused:
            raise CommandError(" ".join(error.message for error in refused.errors)) from None
        self.stdout.write(created.raw)
