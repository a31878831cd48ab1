"""What the apps above firms may react to (core.registry): a staff member leaving the firm."""

from dataclasses import dataclass
from typing import Any

from partnerspace.core.registry import Registry
from partnerspace.firms.models import Membership


@dataclass(frozen=True)
class MembershipRemoving:
    """A staff member is about to leave the firm (their membership is deleted right after)."""

    membership: Membership
    actor: Any


membership_removing: Registry[MembershipRemoving, None] = Registry("membership_removing")
