from django.urls import path

from partnerspace.companies import views

app_name = "companies"

urlpatterns = [
    path("", views.home, name="home"),
    path("<int:company_id>/", views.detail, name="detail"),
    path("<int:company_id>/edit/", views.edit, name="edit"),
    path("<int:company_id>/contacts/add/", views.contact_add, name="contact_add"),
    path("<int:company_id>/links/<int:client_id>/end/", views.end_link, name="end_link"),
]
