"""Date and time formats per language, over Django's own (settings.FORMAT_MODULE_PATH).

Only what differs from Django is set here; every other format falls back to Django's locale.
Templates name formats, never spell them: {{ when|date:"SHORT_DATETIME_FORMAT" }}.
"""
