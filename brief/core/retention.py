"""The legal retention rule, one place for every kind of evidence (README "Evidence").

Stored files, creatives, raw provider callbacks and status events are kept until the end of
the provider's contract plus ``BRIEF_RETENTION_YEARS`` (default 5). The contract end is
``BRIEF_CONTRACT_END`` when set; otherwise the caller gives the best date it knows (the brief's
end, the day the record was stored).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved ``years`` years (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def contract_end_setting() -> dt.date | None:
    """``BRIEF_CONTRACT_END`` as a date (``None`` when unset)."""
    configured = getattr(settings, "BRIEF_CONTRACT_END", None)
    if isinstance(configured, str) and configured:
        return dt.date.fromisoformat(configured)
    return configured or None


def years() -> int:
    return int(getattr(settings, "BRIEF_RETENTION_YEARS", 5))


def keep_until(*fallbacks: dt.date | None) -> dt.date:
    """The contract end (setting, else the first known fallback) plus the retention years."""
    start = contract_end_setting() or next((d for d in fallbacks if d is not None), None)
    if start is None:
        raise ValueError("keep_until needs a contract end or a fallback date")
    return add_years(start, years())
