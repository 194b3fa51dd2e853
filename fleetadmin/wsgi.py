"""WSGI entry point (gunicorn fleetadmin.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fleetadmin.settings")
application = get_wsgi_application()
