from django.urls import path

from events import views

app_name = "events"
urlpatterns = [
    path("cars/<int:car_id>/events/", views.timeline, name="timeline"),
    path("cars/<int:car_id>/events/export.csv", views.event_export, name="export"),
    path("cars/<int:car_id>/events/new/", views.event_create, name="create"),
    path("cars/<int:car_id>/events/position/", views.event_position, name="position"),
    path("events/<int:event_id>/", views.event_detail, name="detail"),
    path("left-open/", views.left_open, name="left-open"),
]
