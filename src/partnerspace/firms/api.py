from datetime import datetime

from ninja import Router, Schema

from partnerspace.api.schemas import Id, NotFoundOut
from partnerspace.firms import selectors

router = Router(tags=["firm"])


class FirmOut(Schema):
    slug: str
    name: str


class StaffOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
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


class MeOut(Schema):
    firm: FirmOut
    user: StaffOut


@router.get("/me", response=MeOut, summary="The token's owner and firm")
def me(request):
    membership = request.membership
    return MeOut(
        firm=FirmOut(slug=membership.firm.slug, name=membership.firm.name),
        user=StaffOut.from_membership(membership),
    )


@router.get("/staff", response=list[StaffOut], summary="The firm's staff")
def staff_list(request):
    return [StaffOut.from_membership(m) for m in selectors.staff_of_firm(request.firm)]


@router.get(
    "/staff/{staff_id}", response={200: StaffOut, 404: NotFoundOut}, summary="One staff member"
)
def staff_get(request, staff_id: Id):
    return StaffOut.from_membership(selectors.staff_get_for_user(request.membership, staff_id))
