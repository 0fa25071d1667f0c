"""Every page talks to the server the same way: its /api/v1 calls go through static/common/http.js
(one error shape, the API's bilingual error) and its live connection through
static/common/live.js; a page that uses either, or the label table, loads it first."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
COMMON = {
    "HallqHttp": "common/http.js",
    "HallqLive": "common/live.js",
    "HallqLabels": "common/labels.js",
}
SCRIPT = re.compile(r"filename='([^']+\.js)'")


def page_scripts() -> list[Path]:
    return [
        path
        for path in sorted(STATIC.glob("*/*.js"))
        if path.parent.name not in ("vendor", "common")
    ]


def test_no_page_calls_the_api_or_opens_a_socket_by_itself():
    own = re.compile(r"fetch\(\s*[\"']/api/|\bio\(\s*[\"']/live|XMLHttpRequest")
    offenders = [
        str(path.relative_to(ROOT))
        for path in page_scripts()
        if own.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_a_page_loads_the_common_scripts_before_its_own():
    missing = []
    for template in sorted((ROOT / "templates").glob("**/*.html")):
        scripts = SCRIPT.findall(template.read_text(encoding="utf-8"))
        for position, name in enumerate(scripts):
            if name.startswith(("common/", "vendor/")):
                continue
            text = (STATIC / name).read_text(encoding="utf-8")
            for helper, needed in COMMON.items():
                if helper in text and needed not in scripts[:position]:
                    missing.append(f"{template.relative_to(ROOT)}: {needed} before {name}")
    assert missing == []
