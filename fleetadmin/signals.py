"""Signals of the core, so that apps built on it learn of changes the core never tells them of.

The core imports none of the other apps: the audit log (audit.apps) listens here instead.
"""

from django.dispatch import Signal

# Sent inside the transaction that changed data fleetadmin keeps for a user: flinkey
# credentials, the chosen customer, preferences. Keyword arguments: `user` (who made the
# change), `action` ("credentials.change", "customer.choose", "preferences.change"),
# `changes` (what changed; never a secret), `target` (the username whose data changed when
# that is someone else, else ""), `customer_id` (or None).
settings_changed = Signal()
