from django.urls import path

from partnerspace.register import views

app_name = "register"

urlpatterns = [
    path("changes/", views.register_changes, name="changes"),
    path("changes/<int:change_id>/take/", views.register_change_take, name="change_take"),
    path("changes/<int:change_id>/dismiss/", views.register_change_dismiss, name="change_dismiss"),
]
