from django.urls import include, path

from partnerspace.api.api import api
from partnerspace.firms import views as firm_views
from partnerspace.invitations.urls import public_urlpatterns as invitation_public_urls

urlpatterns = [
    path("", firm_views.home, name="home"),
    path("account/", include("partnerspace.accounts.urls")),
    path("join/<str:token>/", firm_views.staff_join, name="staff_join"),
    path("f/<slug:firm_slug>/", include("partnerspace.firms.urls")),
    path("f/<slug:firm_slug>/clients/", include("partnerspace.clients.urls")),
    path("f/<slug:firm_slug>/configuration/", include("partnerspace.configuration.urls")),
    path("f/<slug:firm_slug>/invitations/", include("partnerspace.invitations.urls")),
    path("f/<slug:firm_slug>/peppol/", include("partnerspace.peppol.urls")),
    path("f/<slug:firm_slug>/imports/", include("partnerspace.imports.urls")),
    path("f/<slug:firm_slug>/register/", include("partnerspace.register.urls")),
    path("f/<slug:firm_slug>/account/tokens/", include("partnerspace.api.urls")),
    path("company/", include("partnerspace.companies.urls")),
    *invitation_public_urls,
    path("api/v1/", api.urls),
]
