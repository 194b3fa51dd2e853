"""Benchmark: rendering the car list page now vs. its template at another revision.

    .venv/bin/python -m benchmarks.render [--before 3c2e28f] [--runs 40]

Builds one real car-list context (in-process Django, the sandbox, a fleet manager, 25
rows), then renders the current `cars/car_list.html` and the one from `git show
REV:templates/cars/car_list.html` in turn, pair by pair, and prints the median of each
and the median of the pairwise ratios now ÷ before. Same HTML (up to whitespace-only lines)
is checked, not assumed.
"""

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.car_list import configure_django, signed_in_client

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = "templates/cars/car_list.html"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="3c2e28f", help="git revision to compare with")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)
    before_source = subprocess.run(  # noqa: S603 - git with our own arguments
        ["git", "show", f"{args.before}:{TEMPLATE}"], cwd=ROOT, check=True, text=True,  # noqa: S607
        capture_output=True,
    ).stdout

    from flinkey_sandbox import Sandbox

    with Sandbox() as sandbox:
        configure_django(sandbox.url)
        from django.template import engines

        import cars.views

        captured = {}
        real = cars.views.render_screen

        def capture(request, template, context, **kwargs):
            captured.update(request=request, context=dict(context))
            return real(request, template, context, **kwargs)

        cars.views.render_screen = capture
        browser, _user = signed_in_client()
        browser.get("/cars/", secure=True)
        engine = engines["django"]
        now = engine.from_string((ROOT / TEMPLATE).read_text())
        before = engine.from_string(before_source)
        request, context = captured["request"], captured["context"]
        # Older templates read the page's answer from top-level names, not from `listing`.
        listing = context["listing"]
        old_context = {**context, **{name: getattr(listing, name) for name in (
            "page", "problem", "pinned", "first", "last", "prev_url", "next_url")}}

        def html(template, context):
            # Per-request values out, and whitespace-only lines (template tags leave them).
            page = re.sub(r'(nonce|value|X-CSRFToken)(="|": ")[^"]*"', "", template.render(
                context, request))
            return re.sub(r"\n[ \t]*(?=\n)", "", page)

        same = html(now, context) == html(before, old_context)
        now.render(context, request)  # warm-up
        before.render(old_context, request)
        times_now, times_before, ratios = [], [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            now.render(context, request)
            t1 = time.perf_counter()
            before.render(old_context, request)
            t2 = time.perf_counter()
            times_now.append((t1 - t0) * 1000)
            times_before.append((t2 - t1) * 1000)
            ratios.append((t1 - t0) / (t2 - t1))
    rows = listing.page.items
    print(f"Car list render, {len(rows)} rows, {args.runs} pairs: now "
          f"{statistics.median(times_now):.1f} ms, before ({args.before}) "
          f"{statistics.median(times_before):.1f} ms, now ÷ before "
          f"{statistics.median(ratios):.2f} (median of pairs); same HTML: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
