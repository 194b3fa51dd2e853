from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("service-ends/", views.report_page("service-ends"), name="service_ends"),
    path("mileage/", views.report_page("mileage"), name="mileage"),
    path("utilisation/", views.report_page("utilisation"), name="utilisation"),
    path("sessions/", views.report_page("sessions"), name="sessions"),
]
