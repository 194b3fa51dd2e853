from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.index, name="index"),
    path("rules/new/", views.rule_create, name="rule-create"),
    path("rules/<int:rule_id>/", views.rule_page, name="rule"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="rule-delete"),
    path("<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("subscription/", views.subscribe, name="subscribe"),
    path("log/", views.delivery_log, name="log"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/new/", views.webhook_create, name="webhook-create"),
    path("webhooks/<int:hook_id>/", views.webhook_edit, name="webhook"),
    path("webhooks/<int:hook_id>/delete/", views.webhook_delete, name="webhook-delete"),
]
