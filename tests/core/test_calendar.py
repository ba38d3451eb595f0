import datetime as dt

import pytest

from brief.core import calendar
from brief.core.calendar import BOGOTA, ContactWindows

D = dt.date


@pytest.mark.parametrize(
    "day",
    [
        D(2026, 1, 1),
        D(2026, 1, 12),
        D(2026, 3, 23),
        D(2026, 4, 2),
        D(2026, 4, 3),
        D(2026, 7, 13),
        D(2026, 12, 8),
        D(2026, 12, 25),
    ],
)
def test_colombian_holidays_of_2026_are_not_business_days(day):
    assert calendar.is_holiday(day)
    assert not calendar.is_business_day(day)


def test_2026_has_nineteen_holidays_including_chiquinquira():
    # given the whole of 2026
    days = [D(2026, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    # when counting holidays
    found = [d for d in days if calendar.is_holiday(d)]
    # then 19, with Chiquinquirá (Ley 2578 de 2026) moved to Monday 13 July
    assert len(found) == 19
    assert "Chiquinquirá" in calendar.holiday_name(D(2026, 7, 13))


@pytest.mark.parametrize("day", [D(2026, 12, 5), D(2026, 12, 6), D(2026, 11, 28), D(2026, 11, 29)])
def test_weekends_are_never_business_days(day):
    assert not calendar.is_business_day(day)


def test_ordinary_weekday_is_business_day():
    assert calendar.is_business_day(D(2026, 12, 9))


def test_add_business_days_skips_weekend_and_holiday():
    # Friday 4 Dec 2026 + 1 → Monday 7; + 2 → Wednesday 9 (Tuesday 8 is a holiday); + 3 → Thu 10
    assert calendar.add_business_days(D(2026, 12, 4), 1) == D(2026, 12, 7)
    assert calendar.add_business_days(D(2026, 12, 4), 2) == D(2026, 12, 9)
    assert calendar.add_business_days(D(2026, 12, 4), 3) == D(2026, 12, 10)


def test_add_business_days_across_holy_week():
    # Wednesday 1 Apr 2026 + 1 → Monday 6 Apr (2–3 Apr holidays, then the weekend)
    assert calendar.add_business_days(D(2026, 4, 1), 1) == D(2026, 4, 6)


def test_add_business_days_backwards_and_zero():
    assert calendar.add_business_days(D(2026, 12, 9), -1) == D(2026, 12, 7)
    assert calendar.add_business_days(D(2026, 12, 6), 0) == D(2026, 12, 6)


def test_business_days_between_counts_half_open_interval():
    assert calendar.business_days_between(D(2026, 12, 4), D(2026, 12, 10)) == 3
    assert calendar.business_days_between(D(2026, 12, 10), D(2026, 12, 4)) == -3
    assert calendar.business_days_between(D(2026, 12, 24), D(2026, 12, 28)) == 1
    assert calendar.business_days_between(D(2026, 12, 4), D(2026, 12, 4)) == 0


def test_next_business_day():
    assert calendar.next_business_day(D(2026, 12, 7)) == D(2026, 12, 9)
    assert calendar.next_business_day(D(2026, 12, 9), inclusive=True) == D(2026, 12, 9)


def at(y, m, d, h, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=BOGOTA)


def test_contact_window_open_on_weekday_hours():
    assert calendar.next_contact_window(at(2026, 12, 9, 10)) == at(2026, 12, 9, 10)


def test_contact_window_evening_moves_to_next_morning():
    assert calendar.next_contact_window(at(2026, 12, 9, 19, 30)) == at(2026, 12, 10, 7)


def test_contact_window_saturday_afternoon_skips_sunday_and_holiday():
    # Saturday 5 Dec 15:30 → Sunday closed → Monday 7 Dec 07:00
    assert calendar.next_contact_window(at(2026, 12, 5, 15, 30)) == at(2026, 12, 7, 7)
    # Monday 7 Dec 20:00 → Tuesday 8 is a holiday → Wednesday 9 07:00
    assert calendar.next_contact_window(at(2026, 12, 7, 20)) == at(2026, 12, 9, 7)


def test_sms_not_before_eight_and_saturday_hours():
    assert calendar.next_contact_window(at(2026, 12, 9, 7, 15), "sms") == at(2026, 12, 9, 8)
    assert calendar.next_contact_window(at(2026, 12, 5, 7, 15)) == at(2026, 12, 5, 8)


def test_contact_window_accepts_utc_and_custom_windows():
    # 12:00 UTC is 07:00 in Bogota
    utc = dt.datetime(2026, 12, 9, 12, 0, tzinfo=dt.UTC)
    assert ContactWindows().is_open(utc)
    assert not ContactWindows(hours={0: (dt.time(9), dt.time(10))}).is_open(at(2026, 12, 9, 9, 30))
