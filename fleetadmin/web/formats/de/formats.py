# German as Django writes it (29.11.2026 14:30, 12.345,6), with seconds in DATETIME_FORMAT
# (the audit log's precise time) instead of Django's long "29. November 2026 14:30".
# DATE_FORMAT is the long date (a timeline's day, an event's page): "Samstag, 5. Dezember 2026".
DATE_FORMAT = "l, j. F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d.m.Y H:i:s"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
# What a German date field takes (fleetadmin.web.dates): the German way first, as its placeholder
# shows it; Django adds ISO 8601 itself, so links and bookmarks with 2026-12-05 keep working.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y"]
DATETIME_INPUT_FORMATS = ["%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%y %H:%M"]
FIRST_DAY_OF_WEEK = 1  # Monday
