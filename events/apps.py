from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Events")

    def ready(self):
        from audit.recording import describe_fields
        from flinkey import Event

        # The audit log writes a recorded event's fields in words (the API's names as keys).
        describe_fields(labels={
            "type": _("opened or closed"), "utc_date_time": _("time of the event"),
            "date_time": _("car's clock"), "user_id": _("flinkey user id"),
            "user_agent": _("recorded with"), "latitude": _("latitude"),
            "longitude": _("longitude"),
        }, values={"type": {Event.OPENED: _("opened"), Event.CLOSED: _("closed")}})
