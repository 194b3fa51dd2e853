"""Reports over the fleet store: service ends, mileage, utilisation, usage sessions.

Each report is a module with a `build(store, *, start, end, car_ids=None, ...)` that needs
no request (scheduled reports call it too) and returns a `tables.Table`; `catalogue` lists
them; the views show a table as a page, a CSV or an XLSX.
"""
