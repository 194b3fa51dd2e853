# English for a European fleet: ISO dates and 24-hour times (Django's "en" is American:
# 11/29/2026 2:30 p.m.). DATE_FORMAT is the long date (a timeline's day, an event's page):
# "Saturday, 5 December 2026".
DATE_FORMAT = "l, j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i:s"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
# What an English date field takes (fleetadmin.web.dates): ISO, as the placeholder shows it.
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
                          "%Y-%m-%dT%H:%M:%S"]
FIRST_DAY_OF_WEEK = 1  # Monday
