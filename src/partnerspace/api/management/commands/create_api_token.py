from django.core.management.base import BaseCommand, CommandError

from partnerspace.accounts.models import email_key
from partnerspace.api.services import api_token_create
from partnerspace.firms.models import Membership


class Command(BaseCommand):
    help = "Create a personal API token for a staff member of a firm and print it (once)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--firm", required=True, help="the firm's slug")
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, email, firm, name, **options):
        membership = (
            Membership.objects.select_related("firm", "user")
            .filter(user__email=email_key(email), firm__slug=firm)
            .first()
        )
        if membership is None:
            raise CommandError(f"{email} is not a member of firm {firm!r}.")
        created = api_token_create(membership=membership, name=name)
        self.stdout.write(created.raw)
