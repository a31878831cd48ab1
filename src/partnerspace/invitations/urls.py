from django.urls import path

from partnerspace.invitations import views

app_name = "invitations"

urlpatterns = [
    path("clients/<int:client_id>/invite/", views.invite, name="invite"),
    path("bulk/", views.bulk_invite, name="bulk"),
    path("bulk/preview/", views.bulk_invite_preview, name="bulk_preview"),
    path("<int:invitation_id>/revoke/", views.revoke, name="revoke"),
    path("<int:invitation_id>/resend/", views.resend, name="resend"),
    path("<int:invitation_id>/retry/", views.retry, name="retry"),
    path("registration-links/", views.registration_links, name="registration_links"),
    path(
        "registration-links/<int:registration_link_id>/disable/",
        views.registration_link_disable,
        name="registration_link_disable",
    ),
]

public_urlpatterns = [
    path("invite/<str:token>/", views.accept, name="invitation_accept"),
    path("register/<str:code>/", views.register, name="register"),
    path("register/confirm/<str:token>/", views.register_confirm, name="register_confirm"),
]
