"""The Settings screen's URLs (names without a namespace: every page's header links them).

The header's language switcher (i18n/setlang/, preferences.views.set_language) is in
config/urls.py: it belongs to every page, not to this screen.
"""

from django.urls import path

from preferences import customer_views, views

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("settings/preferences/", views.save_preferences, name="save-preferences"),
    path("settings/connection/", views.test_connection, name="test-connection"),
    path("settings/customer/", views.choose_customer, name="choose-customer"),
    # The header's customer switch, and the list it falls back on.
    path("customers/", customer_views.customers_page, name="customers"),
    path("customers/switch/", customer_views.switch_customer, name="switch-customer"),
]
