"""URL configuration of fleetadmin."""

from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from fleetadmin import audit_views, users_views, views
from fleetadmin import auth_views as fleetadmin_auth_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="cars:list", permanent=False), name="home"),
    path("login/", fleetadmin_auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/preferences/", views.save_preferences, name="save-preferences"),
    path("settings/connection/", views.test_connection, name="test-connection"),
    path("settings/customer/", views.choose_customer, name="choose-customer"),
    path("cars/", include("cars.urls")),
    path("", include("maps.urls")),
    # A car's timeline (/cars/<id>/events/…), one event (/events/<id>/), the "left open" report.
    path("", include("events.urls")),
    path("audit/", audit_views.audit_log, name="audit"),
    path("audit/export.csv", audit_views.audit_export, name="audit-export"),
    path("users/", users_views.user_list, name="users"),
    path("users/<int:user_id>/", users_views.user_detail, name="user"),
    path("users/<int:user_id>/role/", users_views.set_role, name="user-role"),
    path("users/<int:user_id>/credentials/", users_views.set_credentials, name="user-credentials"),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask for /favicon.ico whatever the page's <link rel=icon> says.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
]

# 403 and 404 pages are Django's views with our templates (403.html, 404.html); the 500 page
# is ours so that it can show the menu when the fault was elsewhere.
handler500 = "fleetadmin.error_pages.server_error"
