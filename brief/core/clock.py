"""One clock for every process of a deployment: the database server's.

Workers on several machines compare times written by each other (runner leases, claimed
messages, scheduled sweep starts, circuit cool-downs). A machine whose clock is minutes off
would steal live leases, take running sends for stuck ones or start a sweep early, so those
comparisons use :func:`now`: this process's clock corrected by its measured offset to the
database server (PostgreSQL's ``clock_timestamp()``), measured again every
:data:`CHECK_SECONDS`. SQLite lives on this machine: there the offset is zero.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from django.db import DatabaseError, connection
from django.utils import timezone

log = logging.getLogger(__name__)

#: Seconds between two measurements of the offset.
CHECK_SECONDS = 60.0
#: An offset larger than this is logged as a warning (NTP keeps healthy machines far closer).
WARN_SECONDS = 2.0

_lock = threading.Lock()
_state: dict[str, float] = {"offset": 0.0, "checked": -1e18}


def offset_seconds() -> float:
    """Seconds to add to this process's clock to read the database server's (cached)."""
    if time.monotonic() - _state["checked"] < CHECK_SECONDS:
        return _state["offset"]
    with _lock:
        if time.monotonic() - _state["checked"] >= CHECK_SECONDS:
            _measure()
    return _state["offset"]


def _measure() -> None:
    if connection.vendor != "postgresql":
        _state.update(offset=0.0, checked=time.monotonic())
        return
    try:
        with connection.cursor() as cursor:
            before = time.time()
            cursor.execute("SELECT EXTRACT(EPOCH FROM clock_timestamp())")
            server = float(cursor.fetchone()[0])
            after = time.time()
    except DatabaseError:
        return  # keep the last offset; the next call measures again
    offset = server - (before + after) / 2
    if abs(offset) > WARN_SECONDS and abs(offset - _state["offset"]) > WARN_SECONDS:
        log.warning(
            "this machine's clock is %+.1f s off the database server's; Brief uses the "
            "server's time for leases, claims and start times (check NTP)",
            -offset,
        )
    _state.update(offset=offset, checked=time.monotonic())


def now() -> dt.datetime:
    """The deployment's current time (aware, UTC)."""
    return timezone.now() + dt.timedelta(seconds=offset_seconds())


def forget() -> None:
    """Measure again on the next call (tests; after a failover to another server)."""
    _state["checked"] = -1e18
