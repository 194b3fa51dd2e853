from django.urls import path

from fleetadmin import ids  # noqa: F401 - registers <flinkey_id:…>
from maps import views

app_name = "maps"
urlpatterns = [
    path("map/", views.fleet_map, name="fleet"),
    path("map/cars.json", views.fleet_batch, name="fleet-batch"),
    path("cars/<flinkey_id:car_id>/map/", views.car_map, name="car"),
]
