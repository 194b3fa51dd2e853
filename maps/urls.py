from django.urls import path

from fleetadmin.web import ids  # noqa: F401 - registers <flinkey_id:…>
from maps import downloads, views

app_name = "maps"
urlpatterns = [
    path("map/", views.fleet_map, name="fleet"),
    path("map/cars/", views.fleet_batch, name="fleet-batch"),
    path("cars/<flinkey_id:car_id>/map/", views.car_map, name="car"),
    path("cars/<flinkey_id:car_id>/map/route.html", downloads.route_html, name="route-html"),
    path("cars/<flinkey_id:car_id>/map/route.gpx", downloads.route_gpx, name="route-gpx"),
    path("cars/<flinkey_id:car_id>/map/route.geojson", downloads.route_geojson,
         name="route-geojson"),
    path("cars/<flinkey_id:car_id>/map/moment.html", downloads.moment_html,
         name="moment-html"),
]
