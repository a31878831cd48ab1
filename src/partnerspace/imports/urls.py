from django.urls import path

from partnerspace.imports import downloads, views

app_name = "imports"

urlpatterns = [
    path("", views.import_upload, name="upload"),
    path("history/", views.import_history, name="history"),
    path("template/", downloads.template_download, name="template"),
    path("export/", downloads.export_download, name="export"),
    path("<int:import_id>/", views.import_job, name="job"),
    path("<int:import_id>/preview/", views.import_preview, name="preview"),
    path("<int:import_id>/mapping/", views.import_mapping, name="mapping"),
    path("<int:import_id>/import/", views.import_run, name="run"),
    path("<int:import_id>/resume/", views.import_resume, name="resume"),
    path("<int:import_id>/undo/", views.import_undo, name="undo"),
    path("<int:import_id>/report/", downloads.report_download, name="report"),
]
