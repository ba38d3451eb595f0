"""Fixtures of the reports tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from brief.calls.models import Interaction, TypificationNode
from brief.campaigns.choices import Status
from brief.campaigns.models import Brief
from brief.core.calendar import BOGOTA
from brief.core.choices import ClockState, Responsible
from brief.core.models import SLAClock, SLARule
from brief.dispatch.models import Message, Sweep
from tests.helpers import OPEN, drain, sweep_for

# --- monthly reports, QC sample, dashboards ---

MONTH = dt.date(2026, 12, 1)  # the month of tests.helpers.OPEN


def add_clock(brief, state: str, *, breached: bool = False) -> SLAClock:
    """A closed (or open and breached) SLA clock on ``brief``."""
    # a rule of its own: a subject has one open clock per rule
    n = SLARule.objects.count()
    rule = SLARule.objects.create(
        code=f"prueba-{n}", name=f"Prueba {n}", start_event="x", stop_event="y", duration=1
    )
    now = timezone.now()
    return SLAClock.objects.create(
        rule=rule,
        subject_type=ContentType.objects.get_for_model(Brief),
        subject_id=brief.pk,
        state=state,
        responsible=Responsible.PROVIDER,
        started_at=now - dt.timedelta(days=3),
        due_at=now - dt.timedelta(days=1),
        stopped_at=None if state in (ClockState.RUNNING, ClockState.PAUSED) else now,
        breached_at=now if breached else None,
    )


def add_call(brief, code: str, advisor, started_at, channel: str = "call", **fields):
    """An interaction of ``brief`` worked by ``advisor`` at ``started_at``."""
    return Interaction.objects.create(
        code=code,
        channel=channel,
        brief=brief,
        advisor=advisor,
        created_by=advisor,
        started_at=started_at,
        **fields,
    )


def set_statuses(brief, plan: dict[str, int]) -> None:
    """Give the brief's first messages (by pk) the statuses of ``plan`` in order."""
    ids = list(
        Message.objects.filter(sweep__brief=brief).order_by("pk").values_list("pk", flat=True)
    )
    start = 0
    for status, n in plan.items():
        Message.objects.filter(pk__in=ids[start : start + n]).update(status=status)
        start += n


@pytest.fixture
def month_world(campaign, make_brief, proveedor, other_area, asesor, at):
    """December 2026: brief A (first area, SMS sweep of 6: 2 delivered, 1 read, 1 failed),
    brief B (other area, call brief with 3 calls), brief C (planned in February 2027, out),
    brief D (a draft in December, out). Returns ``{"A": …, "B": …, "C": …, "D": …}``."""
    in_month = {"start_date": dt.date(2026, 12, 7), "end_date": dt.date(2026, 12, 18)}
    brief_a, _base, templates = campaign(n=6, channels=("sms",))
    sweep = sweep_for(brief_a, templates["sms"], proveedor)
    drain(sweep)
    Sweep.objects.filter(pk=sweep.pk).update(started_at=OPEN)  # as the sweep's task records it
    set_statuses(brief_a, {"delivered": 2, "read": 1, "failed": 1})
    Brief.objects.filter(pk=brief_a.pk).update(**in_month)
    add_clock(brief_a, ClockState.LATE)
    add_clock(brief_a, ClockState.RUNNING, breached=True)
    brief_b = make_brief(Status.EXECUTING, channels=["call"], name="Llamadas de bienvenida")
    Brief.objects.filter(pk=brief_b.pk).update(area=other_area, **in_month)
    right = TypificationNode.objects.filter(
        brief=brief_b, right_party=True, effective=True, children__isnull=True
    ).first()
    none = TypificationNode.objects.filter(
        brief=brief_b, counts_as_contact=False, children__isnull=True
    ).first()
    from brief.contacts.models import Contact, ContactBase

    base_b = ContactBase.objects.filter(brief=brief_b).first()
    contacts = [
        Contact.objects.create(
            base=base_b,
            row=i + 2,
            doc_type="CC",
            doc_number=f"9{i}",
            full_name=f"P {i}",
            first_names="P",
            last_names=str(i),
            mobile="",
            email="",
            city="",
            country="Colombia",
            department="",
            custom={},
        )
        for i in range(3)
    ]
    for i, (contact, node) in enumerate(zip(contacts, [right, none, right], strict=True)):
        add_call(
            brief_b,
            f"INT-M{i:04d}",
            asesor,
            OPEN + dt.timedelta(minutes=i),
            contact=contact,
            typification=node,
        )
    brief_c = make_brief(
        Status.FORWARDED, start_date=dt.date(2027, 2, 1), end_date=dt.date(2027, 2, 5)
    )
    brief_d = make_brief(Status.DRAFT)
    Brief.objects.filter(pk=brief_d.pk).update(**in_month)
    for b in (brief_a, brief_b, brief_c, brief_d):
        b.refresh_from_db()
    return {"A": brief_a, "B": brief_b, "C": brief_c, "D": brief_d}


def dec(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, tzinfo=BOGOTA)
