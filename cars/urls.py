from django.urls import path

from cars import views

app_name = "cars"
urlpatterns = [
    path("", views.car_list, name="list"),
]
