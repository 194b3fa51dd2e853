"""URLs of the audit log (mounted at audit/; names without a namespace)."""

from django.urls import path

from audit import views

urlpatterns = [
    path("", views.audit_log, name="audit"),
    path("export.csv", views.audit_export, name="audit-export"),
]
