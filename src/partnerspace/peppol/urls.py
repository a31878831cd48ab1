from django.urls import path

from partnerspace.peppol import views

app_name = "peppol"

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("bulk/mandates/", views.bulk_mandates, name="bulk_mandates"),
    path("bulk/registration/", views.bulk_registration, name="bulk_registration"),
    path("batches/<int:batch_id>/", views.batch, name="batch"),
    path("clients/<int:client_id>/", views.client_section, name="client_section"),
    path("clients/<int:client_id>/lookup/", views.lookup, name="lookup"),
    path("clients/<int:client_id>/mandate/", views.mandate, name="mandate"),
    path("clients/<int:client_id>/mandate/documents/", views.document_upload, name="upload"),
    path(
        "clients/<int:client_id>/mandate/documents/<int:document_id>/",
        views.document_download,
        name="document",
    ),
    path("clients/<int:client_id>/registration/", views.registration, name="register"),
    path("clients/<int:client_id>/deregistration/", views.deregistration, name="deregister"),
]
