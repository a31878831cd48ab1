from django.urls import path

from partnerspace.clients import views
from partnerspace.configuration import views as configuration_views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_add, name="add"),
    path("new/register/", views.client_register_search, name="register_search"),
    path("selection/", views.client_selection, name="selection"),
    path("bulk/", views.client_bulk, name="bulk"),
    path("<int:client_id>/", views.client_detail, name="detail"),
    path("<int:client_id>/edit/", views.client_edit, name="edit"),
    path("<int:client_id>/delete/", views.client_delete, name="delete"),
    path("<int:client_id>/archive/", views.client_archive, name="archive"),
    path("<int:client_id>/register/", views.client_register, name="register"),
    path("<int:client_id>/staff/", views.client_staff, name="staff"),
    path("<int:client_id>/contacts/add/", views.contact_add, name="contact_add"),
    path(
        "<int:client_id>/contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"
    ),
    path(
        "<int:client_id>/contacts/<int:contact_id>/primary/",
        views.contact_primary,
        name="contact_primary",
    ),
    path(
        "<int:client_id>/contacts/<int:contact_id>/remove/",
        views.contact_remove,
        name="contact_remove",
    ),
    path(
        "<int:client_id>/integrations/link/",
        configuration_views.client_link,
        name="integration_link",
    ),
    path(
        "<int:client_id>/integrations/new/",
        configuration_views.client_link_new,
        name="integration_new",
    ),
    path(
        "<int:client_id>/integrations/<int:link_id>/",
        configuration_views.client_link_edit,
        name="integration_edit",
    ),
    path(
        "<int:client_id>/integrations/<int:link_id>/unlink/",
        configuration_views.client_link_unlink,
        name="integration_unlink",
    ),
]
