"""The screen kit: how screens answer htmx, tell problems, export CSV, read dates and languages."""
