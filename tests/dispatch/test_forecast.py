"""The sweep forecast agrees with what the engine then does, rule by rule."""

from __future__ import annotations

import datetime as dt

from brief.contacts.models import Contact, Suppression, person_key
from brief.core.calendar import BOGOTA
from brief.dispatch import engine, rules
from brief.dispatch.choices import Include
from brief.dispatch.forecast import forecast, held_back
from brief.dispatch.models import DailyContact, Message
from brief.dispatch.providers import locmem
from brief.dispatch.providers.base import StatusUpdate
from tests.helpers import OPEN, base_csv, drain, statuses, sweep_for

# Six people reachable by SMS, one abroad (no SMS) and one without a mobile.
CONTENT = base_csv(6) + (
    "20000001,Carla,Exterior,+34600111222,carla@correo.es,España,1000\n"
    "20000002,Dario,SinCelular,,dario@correo.co,,1000\n"
)


def _person(base, row: int) -> str:
    contact = Contact.objects.get(base=base, row=row)
    return person_key(contact.doc_type, contact.doc_number)


def _take_day(base, rows, day) -> None:
    """The people on ``rows`` were already contacted on ``day`` (a call took the day)."""
    for i, row in enumerate(rows):
        DailyContact.objects.create(person=_person(base, row), day=day, interaction_id=100 + i)


def _predict(brief, base, **kw):
    return forecast(brief, channel="sms", base=base, **kw)


def _engine_counts(sweep) -> dict[str, int]:
    """What the engine did, in the forecast's terms: sent, and held back per reason."""
    out = {"send": statuses(sweep)["sent"]}
    out.update({r["code"]: r["n"] for r in held_back(sweep)})
    return out


def test_forecast_matches_the_engine_inside_the_window(campaign, proveedor, at):
    # given a base where two people were contacted today and one opted out of SMS
    brief, base, templates = campaign(content=CONTENT, channels=("sms", "email"))
    rows = sorted(base.contacts.values_list("row", flat=True))
    _take_day(base, rows[:2], OPEN.date())
    third = Contact.objects.get(base=base, row=rows[2])
    Suppression.objects.create(channel="sms", value=third.mobile, source="stop")
    # when the form asks for a forecast
    predicted = _predict(brief, base)
    # then three go now, two wait for tomorrow's window, one is suppressed, two cannot get SMS
    tomorrow = dt.datetime(2026, 12, 10, 8, 0, tzinfo=BOGOTA)  # SMS not before 08:00
    assert predicted.counts() == {"send": 3, "daily_cap": 2, "suppressed": 1, "not_eligible": 2}
    assert predicted.sent_now == 3
    assert predicted.line("daily_cap").until == tomorrow
    assert predicted.recipients == 6
    assert predicted.in_segment == 8
    # when the sweep is created and the engine runs
    sweep = sweep_for(brief, templates["sms"], proveedor)
    drain(sweep)
    # then it did exactly that, with the reason and the new time on each message
    assert sweep.total == predicted.recipients
    engine_counts = _engine_counts(sweep)
    assert engine_counts == {"send": 3, "daily_cap": 2, "suppressed": 1}
    assert {k: v for k, v in predicted.counts().items() if k != "not_eligible"} == engine_counts
    capped = Message.objects.filter(sweep=sweep, error_code="daily_cap")
    assert set(capped.values_list("not_before", flat=True)) == {tomorrow}
    assert set(capped.values_list("error_detail", flat=True)) == {
        "Una comunicación por persona al día"
    }
    assert len(locmem.outbox) == 3


def test_forecast_matches_the_engine_when_the_window_is_closed(campaign, proveedor, at):
    # given Saturday 12 Dec 2026 at 16:00 (closed until Monday 08:00 for SMS), and one person
    # already contacted on that Monday
    brief, base, templates = campaign(content=CONTENT, channels=("sms",))
    saturday = at(dt.datetime(2026, 12, 12, 16, 0, tzinfo=BOGOTA))
    monday = dt.datetime(2026, 12, 14, 8, 0, tzinfo=BOGOTA)
    rows = sorted(base.contacts.values_list("row", flat=True))
    _take_day(base, rows[:1], monday.date())
    # when the form asks for a forecast
    predicted = _predict(brief, base)
    # then nothing goes now: five wait for the window, one for the day after
    assert predicted.sent_now == 0
    assert predicted.counts() == {"send": 5, "window": 5, "daily_cap": 1}
    assert predicted.line("window").until == monday
    assert predicted.line("daily_cap").until == dt.datetime(2026, 12, 15, 8, 0, tzinfo=BOGOTA)
    # when the sweep is created: the engine waits for the same moment
    sweep = sweep_for(brief, templates["sms"], proveedor)
    assert drain(sweep) == {"next": "at", "at": monday}
    assert saturday < monday
    assert statuses(sweep)["queued"] == 6
    # and when the window opens it sends and defers as foretold
    at(monday)
    drain(sweep)
    assert _engine_counts(sweep) == {"send": 5, "daily_cap": 1}
    capped = Message.objects.get(sweep=sweep, error_code="daily_cap")
    assert capped.not_before == predicted.line("daily_cap").until


def test_forecast_matches_pacing_and_the_include_rule(campaign, proveedor, at, accounts):
    # given an account that demands an hour between two messages to the same person, and a
    # first sweep delivered to two of three people
    accounts["locmem"].options = {"per_recipient_seconds": 3600}
    accounts["locmem"].save()
    brief, base, templates = campaign(n=3, channels=("sms",))
    first = sweep_for(brief, templates["sms"], proveedor)
    drain(first)
    delivered = list(Message.objects.filter(sweep=first).order_by("id")[:2])
    engine.apply_status_updates(
        "locmem", [StatusUpdate(m.provider_message_id, "delivered") for m in delivered]
    )
    at(OPEN + dt.timedelta(minutes=10))
    # when a second sweep to the undelivered, without the daily cap, is foreseen
    args = {"include": Include.NOT_DELIVERED, "ignore_daily_cap": True}
    predicted = _predict(brief, base, account=accounts["locmem"], **args)
    # then the undelivered person waits for the gap and the others are already reached
    assert predicted.counts() == {"send": 0, "pacing": 1, "already_reached": 2}
    assert predicted.line("pacing").until == OPEN + dt.timedelta(hours=1)
    # and the engine does the same
    second = sweep_for(brief, templates["sms"], proveedor, exception_reason="recordatorio", **args)
    assert drain(second) == {"next": "at", "at": OPEN + dt.timedelta(hours=1)}
    assert _engine_counts(second) == {"send": 0, "pacing": 1}
    held = held_back(second)[0]
    assert held["until"] == predicted.line("pacing").until
    assert held["label"] == (
        "el proveedor exige un tiempo mínimo entre dos mensajes a la misma persona"
    )


def test_day_owners_reads_a_long_list_the_same_way(db):
    # given three people who took the day (two by message, one by a call) and one the day before
    day = OPEN.date()
    DailyContact.objects.create(person="CC:1", day=day, message_id=11)
    DailyContact.objects.create(person="CC:2", day=day, message_id=12)
    DailyContact.objects.create(person="CC:3", day=day, interaction_id=5)
    DailyContact.objects.create(person="CC:4", day=day - dt.timedelta(days=1), message_id=9)
    short = ["CC:1", "CC:3", "CC:4", "CC:9"]
    long = short + [f"TI:{i}" for i in range(10 * rules.CHUNK)]
    # then a short and a long list give the same owners
    expected = {"CC:1": 11, "CC:3": None}
    assert rules.day_owners(short, day) == expected
    assert rules.day_owners(long, day) == expected
