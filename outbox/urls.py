from django.urls import path

from outbox import views

urlpatterns = [
    path("", views.outbox, name="outbox"),
]
