from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerspace.firms.models import Membership

TOKEN_PREFIX = "ps_"  # noqa: S105 (a public marker that tells secret scanners what this is)

# Every token runs out: a year unless its owner asks for less, never more than two.
TOKEN_DEFAULT_DAYS = 365
TOKEN_MAX_DAYS = 730


class ApiToken(models.Model):
    """A personal API token: acts as its owner's membership of one firm, never beyond it.

    Removing the membership removes its tokens; changing its roles changes what they may do.
    A revoked token keeps its row (the audit log names it) and never works again; neither
    does one past its expiry.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    selector = models.CharField(max_length=32, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name or self.selector

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
