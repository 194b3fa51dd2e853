from django.urls import path

from cars import bulk_views, views

app_name = "cars"
urlpatterns = [
    path("", views.car_list, name="list"),
    path("new/", views.car_create, name="create"),
    path("vin-check/", views.vin_check, name="vin-check"),
    path("export/", bulk_views.car_export, name="export"),
    path("delete/", bulk_views.car_bulk_delete, name="bulk-delete"),
    path("deleted/", bulk_views.car_bulk_deleted, name="bulk-deleted"),
    path("<int:car_id>/", views.car_detail, name="detail"),
    path("<int:car_id>/products/", views.car_products, name="products"),
    path("<int:car_id>/edit/", views.car_edit, name="edit"),
    path("<int:car_id>/delete/", views.car_delete, name="delete"),
]
