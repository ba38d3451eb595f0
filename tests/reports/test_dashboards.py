"""The home dashboards: OCM's and the area's, their figures, permissions and cost."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from brief.calls.models import Interaction
from brief.campaigns.models import Brief
from brief.core.calendar import BOGOTA
from brief.core.choices import ClockState
from brief.core.models import SLAClock
from brief.dispatch.models import Message
from brief.reports import dashboards
from tests.reports.conftest import add_call, add_clock, dec

TODAY = dt.date(2026, 12, 15)
DEC_START = dt.datetime(2026, 12, 1, tzinfo=BOGOTA)
JAN_START = dt.datetime(2027, 1, 1, tzinfo=BOGOTA)
SENT = ["sent", "delivered", "read", "voicemail", "no_answer"]


def _close(clock, state, at):
    SLAClock.objects.filter(pk=clock.pk).update(state=state, stopped_at=at)


def test_ocm_figures_match_the_stored_rows(month_world, analista, provider_org):
    # given December clocks: 3 met and 1 late on A and B
    for brief, state in [("A", "met"), ("A", "met"), ("B", "met"), ("B", "late")]:
        _close(add_clock(month_world[brief], ClockState.RUNNING), state, dec(10))
    # when OCM's dashboard is built on 15 December
    data = dashboards.build(analista, today=TODAY)
    assert data["kind"] == "ocm"
    assert data["months"] == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
    # briefs by state: every brief, counted here
    states = {r["status"]: r["count"] for r in data["by_state"]}
    for status in set(Brief.objects.values_list("status", flat=True)):
        assert states[status] == Brief.objects.filter(status=status).count()
    # SLA in December: clocks on briefs closed in December, on time ÷ on time or late
    closed = SLAClock.objects.filter(
        subject_type__model="brief", stopped_at__gte=DEC_START, stopped_at__lt=JAN_START
    )
    met = closed.filter(state="met").count()
    late = closed.filter(state="late").count()
    assert met >= 3
    assert late >= 1
    assert data["sla_trend"][-1] == {
        "month": "2026-12",
        "met": met,
        "late": late,
        "on_time": round(100 * met / (met + late), 1),
    }
    assert data["kpis"]["sla_on_time"] == round(100 * met / (met + late), 1)
    # messages by channel: the SMS sweep of A
    sms = Message.objects.filter(sweep__channel="sms")
    (channel,) = data["channels"]
    assert channel["channel"] == "sms"
    assert channel["sent"] == sms.filter(status__in=SENT).count() == 5
    assert channel["delivered"] == sms.filter(status__in=["delivered", "read"]).count() == 3
    assert channel["not_sent"] == sms.filter(status__in=["failed", "bounced", "suppressed"]).count()
    # contact rate in December: right party ÷ dialled contacts of December's calls
    calls = Interaction.objects.filter(
        channel="call", started_at__gte=DEC_START, started_at__lt=JAN_START
    )
    dialled = calls.values("contact").distinct().count()
    right = calls.filter(typification__right_party=True).values("contact").distinct().count()
    december = data["contact_trend"][-1]
    assert (december["dialled"], december["right_party"]) == (dialled, right) == (3, 2)
    assert december["contact_rate"] == round(100 * right / dialled, 1)
    sent_dec = Message.objects.filter(sent_at__gte=DEC_START, sent_at__lt=JAN_START)
    delivered_dec = sent_dec.filter(status__in=["delivered", "read"]).count()
    assert december["delivery_rate"] == round(
        100 * delivered_dec / sent_dec.filter(status__in=SENT).count(), 1
    )
    assert data["contact_trend"][0]["contact_rate"] is None  # July: nothing dialled
    # provider scorecard: the provider's own clocks, its messages and calls
    (card,) = [c for c in data["scorecard"] if c["provider"] == provider_org.name]
    own = closed.filter(responsible="provider")
    p_met, p_late = own.filter(state="met").count(), own.filter(state="late").count()
    assert (card["sla_met"], card["sla_late"]) == (p_met, p_late)
    assert card["delivery_rate"] == round(100 * 3 / 5, 1)
    assert card["contact_rate"] == round(100 * right / dialled, 1)


def test_the_area_sees_its_own_campaigns(month_world, solicitante, outsider):
    data = dashboards.build(solicitante, today=TODAY)
    assert data["kind"] == "area"
    assert "scorecard" not in data
    codes = [c["code"] for c in data["campaigns"]]
    assert month_world["A"].code in codes
    assert month_world["B"].code not in codes  # another area's
    assert month_world["D"].code not in codes  # a draft
    a = next(c for c in data["campaigns"] if c["code"] == month_world["A"].code)
    assert (a["sent"], a["delivered"], a["read"]) == (5, 3, 1)
    assert a["delivery_rate"] == 60.0
    # the other area's user sees B with its calls' contact rate
    other = dashboards.build(outsider, today=TODAY)
    (b,) = [c for c in other["campaigns"] if c["code"] == month_world["B"].code]
    assert b["contact_rate"] == 66.7
    assert (
        sum(r["count"] for r in other["by_state"])
        == Brief.objects.filter(area=outsider.area).count()
    )


def test_home_loads_the_dashboard_for_ocm_and_areas_only(
    client, month_world, analista, solicitante, proveedor, asesor, settings
):
    url = reverse("reports:dashboard")
    for user in (analista, solicitante):
        client.force_login(user)
        home = client.get(reverse("core:home")).content.decode()
        assert f'hx-get="{url}"' in home
        fragment = client.get(url, HTTP_HX_REQUEST="true")
        assert fragment.status_code == 200
        assert "<svg" in fragment.content.decode()
        assert "<html" not in fragment.content.decode()
        assert client.get(url).status_code == 200
    for user in (proveedor, asesor):
        client.force_login(user)
        assert f'hx-get="{url}"' not in client.get(reverse("core:home")).content.decode()
        assert client.get(url).status_code == 403
    # the hook is a setting: without it the home page has no dashboard
    settings.HOME_PANELS = []
    client.force_login(analista)
    assert f'hx-get="{url}"' not in client.get(reverse("core:home")).content.decode()


def test_the_dashboard_costs_the_same_queries_for_more_briefs(
    client, month_world, analista, make_brief, asesor, django_assert_max_num_queries
):
    client.force_login(analista)
    url = reverse("reports:dashboard")
    client.get(url)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    # given three more executing briefs with calls and clocks
    for n in range(3):
        brief = make_brief("executing", name=f"Más {n}")
        for i in range(4):
            add_call(brief, f"INT-X{n}{i}", asesor, dec(11))
        _close(add_clock(brief, ClockState.RUNNING), "met", dec(11))
    with django_assert_max_num_queries(len(before.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert len(before.captured_queries) <= 16
