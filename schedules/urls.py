from django.urls import path

from schedules import views

app_name = "schedules"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:schedule_id>/", views.detail, name="detail"),
    path("<int:schedule_id>/delete/", views.delete, name="delete"),
    path("<int:schedule_id>/send/", views.send_now, name="send"),
    path("<int:schedule_id>/runs/", views.runs, name="runs"),
]
