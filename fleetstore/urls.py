from django.urls import path

from fleetstore import views

app_name = "fleetstore"

urlpatterns = [
    path("", views.sync_page, name="sync"),
    path("off/", views.turn_off, name="off"),
    path("refresh/", views.refresh, name="refresh"),
]
