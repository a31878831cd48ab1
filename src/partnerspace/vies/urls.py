from django.urls import path

from partnerspace.vies import views

app_name = "vies"

urlpatterns = [
    path("bulk/check/", views.bulk_check, name="bulk_check"),
    path("clients/<int:client_id>/", views.client_section, name="client_section"),
    path("clients/<int:client_id>/check/", views.client_check, name="check"),
]
