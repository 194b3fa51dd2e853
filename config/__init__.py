"""The project shell: settings, URLs, WSGI and the pytest plugin; knows every app."""
