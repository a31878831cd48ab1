from django.urls import path

from partnerspace.firms import views

app_name = "firms"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("users/", views.staff_list, name="staff"),
    path("users/invite/", views.staff_invite, name="staff_invite"),
    path("users/<int:membership_id>/roles/", views.staff_roles, name="staff_roles"),
    path("users/<int:membership_id>/remove/", views.staff_remove, name="staff_remove"),
    path(
        "users/invitations/<int:staff_invitation_id>/revoke/",
        views.staff_invitation_revoke,
        name="staff_invitation_revoke",
    ),
    path(
        "users/invitations/<int:staff_invitation_id>/resend/",
        views.staff_invitation_resend,
        name="staff_invitation_resend",
    ),
    path("settings/", views.firm_settings, name="settings"),
]
