from django.urls import path

from partnerspace.configuration import views

app_name = "configuration"

urlpatterns = [
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/<int:template_id>/edit/", views.template_edit, name="template_edit"),
    path(
        "templates/<int:template_id>/duplicate/",
        views.template_duplicate,
        name="template_duplicate",
    ),
    path("templates/<int:template_id>/delete/", views.template_delete, name="template_delete"),
    path("templates/<int:template_id>/default/", views.template_default, name="template_default"),
    path("integrations/", views.integration_list, name="integrations"),
    path("integrations/install/<slug:key>/", views.integration_install, name="integration_install"),
    path("integrations/<int:integration_id>/", views.integration_edit, name="integration_edit"),
    path(
        "integrations/<int:integration_id>/remove/",
        views.integration_remove,
        name="integration_remove",
    ),
]
