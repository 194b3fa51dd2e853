# German as Django writes it (29.11.2026 14:30, 12.345,6), with seconds in DATETIME_FORMAT
# (the audit log's precise time) instead of Django's long "29. November 2026 14:30".
DATETIME_FORMAT = "d.m.Y H:i:s"
