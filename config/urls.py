"""URL configuration of fleetadmin: every app's URLs, and the header's language switcher."""

from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from preferences import views

urlpatterns = [
    # The home page (name "home"): the landing page after sign-in.
    path("", include("overview.urls")),
    # login/, logout/, users/…, oidc/
    path("", include("accounts.urls")),
    # settings/… (the Settings screen)
    path("", include("preferences.urls")),
    path("cars/", include("cars.urls")),
    path("", include("maps.urls")),
    # A car's timeline (/cars/<id>/events/…), one event (/events/<id>/), the "left open" report.
    path("", include("events.urls")),
    path("audit/", include("audit.urls")),
    # What fleetadmin would have e-mailed (EMAIL_URL=outbox), for administrators.
    path("outbox/", include("outbox.urls")),
    # The fleet store's sync page (fleetstore: background sync of a fleet).
    path("fleet-sync/", include("fleetstore.urls")),
    # The people directory: names for flinkey user ids.
    path("people/", include("people.urls")),
    path("reports/", include("reports.urls")),
    # Alert rules, webhooks, subscriptions and the delivery log.
    path("alerts/", include("alerts.urls")),
    # Scheduled reports: e-mailed daily, weekly or monthly; run history, "send now".
    path("schedules/", include("schedules.urls")),
    # The header's language switcher: Django's set_language, also saved for the user.
    path("i18n/setlang/", views.set_language, name="set_language"),
    # Browsers ask for /favicon.ico whatever the page's <link rel=icon> says.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
]

# 403 and 404 pages are Django's views with our templates (403.html, 404.html); the 500 page
# is ours so that it can show the menu when the fault was elsewhere.
handler500 = "fleetadmin.web.error_pages.server_error"
