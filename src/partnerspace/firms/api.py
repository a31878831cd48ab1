from datetime import datetime

from ninja import Router, Schema

from partnerspace.api.schemas import Id, refusals
from partnerspace.firms import selectors

router = Router(tags=["firm"])


class FirmOut(Schema):
    slug: str
    name: str


class StaffNameOut(Schema):
    """A colleague as every role sees them: enough to read the staff ids of a client's
    assignments, and no more."""

    id: int
    first_name: str
    last_name: str

    @staticmethod
    def from_membership(membership) -> "StaffNameOut":
        return StaffNameOut(
            id=membership.pk,
            first_name=membership.user.first_name,
            last_name=membership.user.last_name,
        )


class StaffOut(StaffNameOut):
    """A colleague as administrators see them, as on the Users page: address and roles too."""

    email: str
    roles: list[str]
    created_at: datetime

    @staticmethod
    def from_membership(membership) -> "StaffOut":
        user = membership.user
        return StaffOut(
            id=membership.pk,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            roles=[role.value for role in membership.roles],
            created_at=membership.created_at,
        )


def _staff_out(viewer, membership) -> StaffOut | StaffNameOut:
    # The Users page, with everyone's address and roles, is for administrators only.
    if viewer.can_manage_staff:
        return StaffOut.from_membership(membership)
    return StaffNameOut.from_membership(membership)


class MeOut(Schema):
    firm: FirmOut
    user: StaffOut


@router.get("/me", response={200: MeOut, **refusals(401)}, summary="The token's owner and firm")
def me(request):
    membership = request.membership
    return MeOut(
        firm=FirmOut(slug=membership.firm.slug, name=membership.firm.name),
        user=StaffOut.from_membership(membership),
    )


@router.get(
    "/staff",
    response={200: list[StaffOut | StaffNameOut], **refusals(401)},
    summary="The firm's staff",
    description="Administrators get each colleague's e-mail address and roles (StaffOut); "
    "every other role gets names only (StaffNameOut).",
)
def staff_list(request):
    return [_staff_out(request.membership, m) for m in selectors.staff_of_firm(request.firm)]


@router.get(
    "/staff/{staff_id}",
    response={200: StaffOut | StaffNameOut, **refusals(401, 404, 422)},
    summary="One staff member",
    description="As in GET /staff: names only, unless the token's owner is an administrator.",
)
def staff_get(request, staff_id: Id):
    return _staff_out(
        request.membership, selectors.staff_get_for_user(request.membership, staff_id)
    )
