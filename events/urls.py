from django.urls import path

from events import views
from fleetadmin.web import ids  # noqa: F401 - registers <flinkey_id:…>

app_name = "events"
urlpatterns = [
    path("cars/<flinkey_id:car_id>/events/", views.timeline, name="timeline"),
    path("cars/<flinkey_id:car_id>/events/export.csv", views.event_export, name="export"),
    path("cars/<flinkey_id:car_id>/events/new/", views.event_create, name="create"),
    path("cars/<flinkey_id:car_id>/events/position/", views.event_position, name="position"),
    path("events/<flinkey_id:event_id>/", views.event_detail, name="detail"),
    path("left-open/", views.left_open, name="left-open"),
]
