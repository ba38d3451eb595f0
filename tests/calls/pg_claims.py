"""The claim race of ``claim_race.py`` on the database named by DATABASE_URL (PostgreSQL).

Executed as a script by ``test_queue.py``; prints the outcome as JSON.
"""

from __future__ import annotations

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brief.test_settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from tests.calls.claim_race import queue_with_advisors, race  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    brief, advisors = queue_with_advisors(contacts=200, advisors=20)
    got = race(brief, advisors)
    claimed = [c for contacts in got.values() for c in contacts]
    outcome = {"vendor": connection.vendor, "claimed": len(claimed), "distinct": len(set(claimed))}
    print(json.dumps(outcome))  # noqa: T201


if __name__ == "__main__":
    main()
