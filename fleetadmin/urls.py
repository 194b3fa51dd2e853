"""URL configuration of fleetadmin."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from fleetadmin import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="cars:list", permanent=False), name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/preferences/", views.save_preferences, name="save-preferences"),
    path("settings/connection/", views.test_connection, name="test-connection"),
    path("settings/customer/", views.choose_customer, name="choose-customer"),
    path("cars/", include("cars.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
