"""Fresh processes for the settings tests, forked from one that has only imported libraries.

`config.settings` reads the environment once, at import, so each case needs a process that
has never imported it. Starting a new interpreter per case spends about a second of CPU on
importing Django, folium, cryptography & co. again; this server imports them once and forks
a child per case instead. The child has never imported `config.settings` nor run
`django.setup()`: it gets the case's environment (and nothing else), its own stdout and
stderr, and runs `python -c CODE` or `python SCRIPT ARGS...` as a new interpreter would.

Protocol (one JSON line each way): {"args": [...], "env": {...}} → {"returncode": int,
"stdout": str, "stderr": str}. Used through `FreshProcesses` below.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Libraries only: none of them reads settings at import (no models: a model class asks for
# INSTALLED_APPS). The server checks that settings stayed unconfigured.
PRELOADED = (
    "django", "django.db.models", "django.core.management", "django.core.checks",
    "django.template", "django.urls", "django.forms", "django.views.generic",
    "django.contrib.auth", "environ", "requests", "folium", "cryptography.fernet",
    "mozilla_django_oidc", "django_htmx", "whitenoise", "axes", "redis", "psycopg",
    # What `check` and `django.setup()` import besides: the reports' Excel export, the
    # scheduler and task queue, the token library, ... (a third of a case's CPU).
    "openpyxl", "crontask", "django_tasks_db", "jwt", "sqlparse", "django_stubs_ext", "tzlocal",
)


class FreshProcesses:
    """Run `python ARGS` in a fresh process per call, like subprocess.run, but cheaper."""

    def __init__(self, env: dict[str, str]) -> None:
        self._server = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, __file__], cwd=ROOT, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )

    def run(self, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
        assert self._server.stdin is not None and self._server.stdout is not None
        self._server.stdin.write(json.dumps({"args": args, "env": env}) + "\n")
        self._server.stdin.flush()
        line = self._server.stdout.readline()
        if not line:
            raise RuntimeError(f"the fresh-process server ended ({self._server.wait()})")
        done = json.loads(line)
        return subprocess.CompletedProcess([sys.executable, *args], done["returncode"],
                                           done["stdout"], done["stderr"])

    def close(self) -> None:
        if self._server.stdin is not None:
            self._server.stdin.close()
        self._server.wait(timeout=30)


def _serve() -> None:
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)  # nothing here may read settings
    for name in PRELOADED:
        __import__(name)
    from django.conf import settings

    assert not settings.configured and "config.settings" not in sys.modules
    for line in sys.stdin:
        case = json.loads(line)
        with tempfile.TemporaryDirectory() as scratch:
            out, err = Path(scratch, "out"), Path(scratch, "err")
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(case["args"], case["env"], out, err)  # never returns
            _, status = os.waitpid(pid, 0)
            reply = {"returncode": os.waitstatus_to_exitcode(status),
                     "stdout": out.read_text(errors="replace"),
                     "stderr": err.read_text(errors="replace")}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def _child(args: list[str], env: dict[str, str], out: Path, err: Path) -> None:
    code = 1
    try:
        os.environ.clear()
        os.environ.update(env)
        stdin = os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
        os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
        sys.argv = list(args)
        if args[0] == "-c":
            sys.argv = ["-c", *args[2:]]
            exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102
        else:
            import runpy

            sys.path[0] = str(ROOT / Path(args[0]).parent)
            runpy.run_path(args[0], run_name="__main__")
        code = 0
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            code = exit_.code or 0
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: BLE001 - reported like an interpreter would, exit code 1
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # not this file's folder: as for `python -c` in the root
    os.chdir(ROOT)
    _serve()
