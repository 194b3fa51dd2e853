"""Template source rules that Django does not enforce."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_template_comment_spans_lines():
    # Django's {# … #} ends at the line's end: one written over several lines is shown on
    # the page as text. Longer comments use {% comment %}.
    ours = [path for path in ROOT.glob("**/templates/**/*.html")
            if not path.relative_to(ROOT).parts[0].startswith(".")]  # not .venv's
    spanning = [f"{path.relative_to(ROOT)}:{number}" for path in sorted(ours)
                for number, line in enumerate(path.read_text().splitlines(), start=1)
                if re.search(r"\{#(?!.*#\})", line)]
    assert spanning == []
