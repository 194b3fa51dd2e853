from django.urls import path

from maps import views

app_name = "maps"
urlpatterns = [
    path("map/", views.fleet_map, name="fleet"),
    path("map/cars.json", views.fleet_batch, name="fleet-batch"),
    path("cars/<int:car_id>/map/", views.car_map, name="car"),
]
