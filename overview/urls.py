"""The home page: the landing page after sign-in (no namespace: its name is "home")."""

from django.urls import path

from overview import views

urlpatterns = [
    path("", views.home, name="home"),
]
