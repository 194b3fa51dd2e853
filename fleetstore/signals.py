"""What the fleet store tells the rest of the project, without knowing who listens.

`run_finished` is sent by the background jobs (fleetstore.tasks) after a sync or sample run
ended, with `fleet_id` and `run` (the SyncRun). Receivers are called in the worker, right
after the run: they should only enqueue their own work (the home page's roll-ups do).
"""

from django.dispatch import Signal

run_finished = Signal()
