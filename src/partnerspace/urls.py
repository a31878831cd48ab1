from django.urls import include, path

from partnerspace.api.api import api
from partnerspace.firms import views as firm_views

urlpatterns = [
    path("", firm_views.home, name="home"),
    path("account/", include("partnerspace.accounts.urls")),
    path("join/<str:token>/", firm_views.staff_join, name="staff_join"),
    path("f/<slug:firm_slug>/", include("partnerspace.firms.urls")),
    path("api/v1/", api.urls),
]
