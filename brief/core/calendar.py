"""Colombian business calendar and contact windows (America/Bogota).

Business days are Monday to Friday minus Colombia's national holidays as the ``holidays``
package lists them (including moved "Ley Emiliani" holidays and the 2026 Chiquinquirá day).
Contact windows follow Ley 2300 de 2023 by default; campaigns may carry exceptions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

BOGOTA = ZoneInfo("America/Bogota")


@lru_cache(maxsize=64)
def _holidays_for(year: int) -> dict[dt.date, str]:
    return dict(holidays.country_holidays("CO", years=year, language="es"))


def holiday_name(day: dt.date) -> str | None:
    """The holiday's name, or ``None`` when ``day`` is not a national holiday."""
    return _holidays_for(day.year).get(day)


def is_holiday(day: dt.date) -> bool:
    return day in _holidays_for(day.year)


def is_business_day(day: dt.date) -> bool:
    """Monday–Friday and not a Colombian national holiday."""
    return day.weekday() < 5 and not is_holiday(day)


def next_business_day(day: dt.date, *, inclusive: bool = False) -> dt.date:
    """The first business day after ``day`` (or ``day`` itself when ``inclusive`` and it is one)."""
    current = day if inclusive else day + dt.timedelta(days=1)
    while not is_business_day(current):
        current += dt.timedelta(days=1)
    return current


def add_business_days(day: dt.date, n: int) -> dt.date:
    """``day`` moved forward by ``n`` business days (backwards when ``n`` is negative).

    ``add_business_days(friday, 1)`` is the next Monday that is not a holiday; ``n == 0`` gives
    ``day`` itself.
    """
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    current = day
    while remaining:
        current += dt.timedelta(days=step)
        if is_business_day(current):
            remaining -= 1
    return current


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Business days in the half-open interval ``(start, end]``; negative when ``end < start``."""
    if end < start:
        return -business_days_between(end, start)
    count = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        if is_business_day(current):
            count += 1
    return count


def local(moment: dt.datetime) -> dt.datetime:
    """``moment`` in America/Bogota (naive values are taken as Bogota time)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=BOGOTA)
    return moment.astimezone(BOGOTA)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last microsecond of ``day`` in Bogota."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=BOGOTA)


def business_hours_between(start: dt.datetime, end: dt.datetime) -> float:
    """Hours from ``start`` to ``end`` that fall on business days (whole days, Bogota);
    0 when ``end`` is not after ``start``."""
    start, end = local(start), local(end)
    hours = 0.0
    day = start.date()
    while day <= end.date():
        if is_business_day(day):
            opens = max(start, dt.datetime.combine(day, dt.time.min, tzinfo=BOGOTA))
            closes = min(end, end_of_day(day))
            if closes > opens:
                hours += (closes - opens).total_seconds() / 3600
        day += dt.timedelta(days=1)
    return hours


@dataclass(frozen=True)
class ContactWindows:
    """Hours when a person may be contacted, per weekday (0 = Monday), in Bogota time.

    Defaults (Ley 2300 de 2023): Monday–Friday 07:00–19:00, Saturday 08:00–15:00, never on
    Sundays or holidays; SMS not before 08:00.
    """

    hours: dict[int, tuple[dt.time, dt.time]] = field(
        default_factory=lambda: {
            **{d: (dt.time(7, 0), dt.time(19, 0)) for d in range(5)},
            5: (dt.time(8, 0), dt.time(15, 0)),
        }
    )
    channel_earliest: dict[str, dt.time] = field(default_factory=lambda: {"sms": dt.time(8, 0)})
    allow_holidays: bool = False

    def window_for(
        self, day: dt.date, channel: str | None = None
    ) -> tuple[dt.datetime, dt.datetime] | None:
        """The (open, close) datetimes of ``day``'s window, or ``None`` when closed all day."""
        if not self.allow_holidays and is_holiday(day):
            return None
        hours = self.hours.get(day.weekday())
        if hours is None:
            return None
        opens, closes = hours
        earliest = self.channel_earliest.get(channel or "")
        if earliest and earliest > opens:
            opens = earliest
        if opens >= closes:
            return None
        return (
            dt.datetime.combine(day, opens, tzinfo=BOGOTA),
            dt.datetime.combine(day, closes, tzinfo=BOGOTA),
        )

    def is_open(self, moment: dt.datetime, channel: str | None = None) -> bool:
        when = local(moment)
        window = self.window_for(when.date(), channel)
        return window is not None and window[0] <= when < window[1]

    def next_open(self, moment: dt.datetime, channel: str | None = None) -> dt.datetime:
        """``moment`` itself when inside a window, else the start of the next window."""
        when = local(moment)
        day = when.date()
        for _ in range(366):
            window = self.window_for(day, channel)
            if window is not None:
                opens, closes = window
                if when < opens:
                    return opens
                if when < closes:
                    return when
            day += dt.timedelta(days=1)
            when = dt.datetime.combine(day, dt.time.min, tzinfo=BOGOTA)
        raise ValueError("no contact window in the next year")


DEFAULT_WINDOWS = ContactWindows()


def next_contact_window(moment: dt.datetime, channel: str | None = None) -> dt.datetime:
    """The earliest moment at or after ``moment`` when the default windows allow a contact."""
    return DEFAULT_WINDOWS.next_open(moment, channel)
