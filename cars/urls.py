from django.urls import path

from cars import bulk_views, views
from fleetadmin.web import ids  # noqa: F401 - registers <flinkey_id:…>

app_name = "cars"
urlpatterns = [
    path("", views.car_list, name="list"),
    path("new/", views.car_create, name="create"),
    path("vin-check/", views.vin_check, name="vin-check"),
    path("export/", bulk_views.car_export, name="export"),
    path("delete/", bulk_views.car_bulk_delete, name="bulk-delete"),
    path("deleted/", bulk_views.car_bulk_deleted, name="bulk-deleted"),
    path("<flinkey_id:car_id>/", views.car_detail, name="detail"),
    path("<flinkey_id:car_id>/products/", views.car_products, name="products"),
    path("<flinkey_id:car_id>/edit/", views.car_edit, name="edit"),
    path("<flinkey_id:car_id>/delete/", views.car_delete, name="delete"),
]
