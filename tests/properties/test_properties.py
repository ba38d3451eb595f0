"""Properties checked on generated inputs (Hypothesis): the base cleaning rules, SMS
segmentation against a reference encoder, and the business calendar against numpy's."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smpplib.gsm import gsm_encode

from brief.contacts.cleaning import clean_base
from brief.content import sms
from brief.core import calendar

# --- base cleaning --------------------------------------------------------------------

documents = st.one_of(
    st.just(""), st.sampled_from(["1020304050", "79888777", "52.123.456", "1e9"]),
    st.from_regex(r"[0-9]{5,11}", fullmatch=True),
)  # fmt: skip
names = st.one_of(st.just(""), st.sampled_from(["Ana María", "Luis", "  ", "José Ñúñez"]))
phones = st.one_of(
    st.just(""),
    st.sampled_from(["3001234567", "+57 310 987 6543", "6011234567", "12", "+1 305 555 0100"]),
    st.from_regex(r"3[0-9]{9}", fullmatch=True),
)
emails = st.one_of(
    st.just(""), st.sampled_from(["ana@example.co", "x@@y", "LUIS@Example.CO ", "sin-arroba"])
)
rows = st.lists(st.tuples(documents, names, names, phones, emails), min_size=1, max_size=40)


def _frame(data: list[tuple[str, ...]]) -> pl.DataFrame:
    columns = ["documento", "nombres", "apellidos", "celular", "correo", "teléfono fijo"]
    return pl.DataFrame(
        {c: [r[i] if i < len(r) else "" for r in data] for i, c in enumerate(columns)}
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_cleaning_accounts_for_every_row_and_is_idempotent(data):
    result = clean_base(_frame(data))
    summary = result.summary
    # usable + rejected = total, and the reasons add up to the rejected rows
    assert summary["rows_total"] == len(data)
    assert summary["rows_usable"] + summary["rows_rejected"] == summary["rows_total"]
    assert sum(summary["rejected"].values()) == summary["rows_rejected"]
    assert result.contacts.height == summary["rows_usable"]
    assert result.rejects.height == summary["rows_rejected"]
    # cleaning what was kept keeps all of it, unchanged
    kept = result.contacts
    if not kept.height:
        return
    refed = zip(
        *(
            kept[column].fill_null("").to_list()
            for column in ("doc_number", "first_names", "last_names", "mobile", "email", "landline")
        ),
        strict=True,
    )
    again = clean_base(_frame(list(refed)))
    assert again.summary["rows_rejected"] == 0
    for column in ("doc_number", "first_names", "last_names", "mobile", "landline", "email"):
        assert again.contacts[column].to_list() == kept[column].to_list()


# --- SMS segmentation -------------------------------------------------------------------

# smpplib's table puts "`" where GSM 03.38 has "§" (its own filler) and lacks the form feed
# of the extension table: those three are left out of the comparison.
GSM_TEXT = sorted((sms.GSM_BASIC | sms.GSM_EXTENSION) - {"§", "`", "\f"})
OTHER = ["á", "Ó", "ç", "😀", "中", "“"]
texts = st.text(alphabet=st.sampled_from(GSM_TEXT + OTHER), max_size=700) | st.text(
    alphabet=st.sampled_from(GSM_TEXT), max_size=700
)


def _reference_parts(text: str) -> int:
    """Parts a sender makes from the encoded bytes: 160/153 septets (GSM-7, smpplib's encoder,
    an escape pair never split) or 140/134 bytes of UTF-16 (a surrogate pair never split)."""
    if not text:
        return 0
    try:
        encoded, single, multi, unit = gsm_encode(text), 160, 153, 1
    except UnicodeError:
        encoded, single, multi, unit = text.encode("utf-16-be"), 140, 134, 2
    if len(encoded) <= single:
        return 1
    parts, used, i = 0, 0, 0
    while i < len(encoded):
        step = unit
        if unit == 1 and encoded[i] == 0x1B:
            step = 2
        elif unit == 2 and 0xD8 <= encoded[i] <= 0xDB:
            step = 4
        if used + step > multi or parts == 0:
            parts, used = parts + 1, 0
        used += step
        i += step
    return parts


@settings(max_examples=300, deadline=None)
@given(texts)
def test_segments_match_a_reference_encoder(text):
    analysis = sms.analyze(text)
    assert analysis["segments"] == _reference_parts(text)
    parts = sms.split(text)
    assert "".join(parts) == text
    assert len(parts) == analysis["segments"]
    unit = 1 if analysis["encoding"] == "GSM-7" else 2
    encoded = gsm_encode(text) if unit == 1 else text.encode("utf-16-be")
    assert analysis["characters"] == len(encoded) // unit


# --- business calendar ------------------------------------------------------------------

days = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2028, 6, 30))
HOLIDAYS = [
    np.datetime64(day)
    for year in range(2024, 2030)
    for day in calendar._holidays_for(year)  # the holidays package's Colombian list
]


@settings(max_examples=200, deadline=None)
@given(days, st.integers(min_value=-40, max_value=40))
def test_business_days_match_numpy(day, n):
    moved = calendar.add_business_days(day, n)
    if n == 0:
        assert moved == day
    else:
        # numpy counts from the next business day on or before/after ``day``
        expected = np.busday_offset(
            np.datetime64(day), n, roll="forward" if n < 0 else "backward", holidays=HOLIDAYS
        )
        assert np.datetime64(moved) == expected
        assert calendar.is_business_day(moved)
    # (start, end] counts: forward from any day, backward to a business day
    if n >= 0:
        assert calendar.business_days_between(day, moved) == n
    elif calendar.is_business_day(day):
        assert calendar.business_days_between(moved, day) == -n
    assert calendar.business_days_between(day, day + dt.timedelta(days=30)) == int(
        np.busday_count(
            np.datetime64(day + dt.timedelta(days=1)),
            np.datetime64(day + dt.timedelta(days=31)),
            holidays=HOLIDAYS,
        )
    )
