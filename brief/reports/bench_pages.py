"""The ``pages_10k`` benchmark: the pages people open all day, at 10,000 briefs.

A child process (:mod:`brief.reports.bench_pages_child`) fills a fresh SQLite database with
10,000 briefs in every state over 10 areas, 50 users, and 1,000,000 dispatch messages over the
sweeps of 25 executing briefs (``--size`` sets the messages; a fifth of them belong to the
«big» brief), then requests through the WSGI app, logged in as users of the right roles in
turn: the OCM board, the brief list filtered by state and paged, the home page's panels, the
big brief's page, its sweep pages and its report page (``/briefs/<code>/informe/``) — 30
timed requests each after 2 of warm-up. The value is the worst page's p95 in ms; each page's
p50, p95, query count and first request (``first_ms``: nothing of the process cached yet,
e.g. the report's figures over every message) are in ``pages``. The reference is
``/favicon.ico`` through the same client and session (the WSGI stack and middleware with no
view work), p95.

Lives in ``reports`` because it fills and requests pages of the apps below it (dispatch,
contacts, content, campaigns); the layers allow nothing lower to do that. Fails unless the
rows stored are the ones asked for, every response was a 200, and every page held what it had
to (the board's most overdue brief, the first code of each list page as found in SQL, the
brief's code).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from brief.core.bench import expect_equal, fresh_database_env, run_child

from .bench_pages_child import SWEEP_BRIEFS, USERS, big_share

CHILD = "brief.reports.bench_pages_child"
TARGET_MS = 200


def _ms(times: list[float], q: int) -> float:
    return round(float(np.percentile(np.array(times), q)) * 1000, 1)


def bench_pages_10k(
    workdir: Path, n: int = 1_000_000, briefs: int = 10_000, requests: int = 30
) -> dict[str, Any]:
    """Worst p95 (ms) of the main pages at ``briefs`` briefs and ``n`` messages."""
    env = fresh_database_env(Path(workdir), "bench-pages.sqlite3")
    figures = run_child(CHILD, "pages", str(n), str(briefs), str(requests), env=env)
    pages = figures["pages"]
    expect_equal(
        "pages_10k",
        {
            "rows": {
                "briefs": briefs,
                "messages": n,
                "users": USERS,
                "sweeps": 2 * SWEEP_BRIEFS,
                "big brief messages": big_share(n),
            },
            "statuses": {name: [200] for name in pages},
            "missing": {name: [] for name in pages},
            "timed": dict.fromkeys(pages, requests),
        },
        {
            "rows": {k: v for k, v in figures["rows"].items() if k != "open clocks"},
            "statuses": {name: page["statuses"] for name, page in pages.items()},
            "missing": {name: page["missing"] for name, page in pages.items()},
            "timed": {name: len(page["times"]) for name, page in pages.items()},
        },
    )
    per_page = {
        name: {
            "p50_ms": _ms(page["times"], 50),
            "p95_ms": _ms(page["times"], 95),
            "first_ms": round(page["first"] * 1000, 1),
            "queries": page["queries"],
            "url": page["url"],
        }
        for name, page in pages.items()
    }
    worst = max(per_page, key=lambda name: per_page[name]["p95_ms"])
    value = per_page[worst]["p95_ms"]
    return {
        "name": "pages_10k",
        "value": value,
        "unit": "ms",
        "reference": "/favicon.ico through the same client and session (WSGI stack and "
        "middleware, no view work), p95",
        "reference_value": _ms(figures["reference"]["times"], 95),
        "n": n,
        "briefs": briefs,
        "requests_per_page": requests,
        "worst_page": worst,
        "pages": per_page,
        "open_clocks": figures["rows"]["open clocks"],
        "big_brief": figures["big_brief"],
        "peak_rss_mib": round(figures["peak_rss_bytes"] / (1 << 20), 1),
        "target_ms": TARGET_MS,
        "within_target": value <= TARGET_MS,
        "fill_seconds": round(figures["fill_seconds"], 1),
        "load": round(os.getloadavg()[0], 1),
    }
