"""The dashboard's WSGI application under cProfile, for `benchmarks.served --profile DIR`.

Benchmark-only: gunicorn serves `benchmarks.profiled_wsgi:application` instead of
`config.wsgi:application` when asked, so a served page's own work can be taken apart
(middleware, credentials, token cache, reach checks, the client, templates) where a user
gets it, not in-process. Each request is profiled from the first byte of the WSGI call to
the last byte of its body; since Python 3.12 cProfile (sys.monitoring) sees every thread,
so the list call's own thread (`flinkey.Ahead`) is in it too. The benchmark asks one page at
a time, so requests never overlap; one that would is simply not profiled.

Each worker writes its accumulated stats to DIR/worker-<pid>.prof after every request
(cheap next to a page; no exit hook needed). Read them with
`python -m pstats DIR/worker-*.prof` or `benchmarks.profiled_wsgi.summary(DIR)`.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import threading
from pathlib import Path

from config.wsgi import application as _django

_DIRECTORY = Path(os.environ["FLEETADMIN_PROFILE_DIR"])
_profile = cProfile.Profile()
_busy = threading.Lock()


def application(environ, start_response):
    if not _busy.acquire(blocking=False):
        return _django(environ, start_response)  # another request is being profiled
    try:
        _profile.enable()
        try:
            body = b"".join(_django(environ, start_response))
        finally:
            _profile.disable()
        _profile.dump_stats(_DIRECTORY / f"worker-{os.getpid()}.prof")
    finally:
        _busy.release()
    return [body]


def summary(directory: str | Path, limit: int = 60, sort: str = "cumulative") -> None:
    """Print the workers' stats together."""
    files = sorted(str(path) for path in Path(directory).glob("worker-*.prof"))
    stats = pstats.Stats(*files)
    stats.sort_stats(sort).print_stats(limit)
