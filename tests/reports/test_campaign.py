"""The campaign report's figures against numbers computed here from the stored rows."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from brief.calls.models import Interaction
from brief.content import sms as sms_rules
from brief.core.calendar import BOGOTA
from brief.dispatch.models import Message
from brief.reports import actions, campaign
from brief.reports.models import ReportConclusion

pytestmark = pytest.mark.django_db

SENT = {"sent", "delivered", "read", "voicemail", "no_answer"}
DELIVERED = {"delivered", "read"}


def _messages(brief, **filters):
    return list(Message.objects.filter(sweep__brief=brief, **filters))


def test_totals_funnel_and_targets_match_the_stored_rows(reported):
    brief, sms, email = reported
    # when the report is built
    data = campaign.build(brief)
    # then the totals are the stored statuses counted here
    rows = _messages(brief)
    statuses = Counter(m.status for m in rows)
    assert data["totals"]["sent"] == sum(statuses[s] for s in SENT)
    assert data["totals"]["delivered"] == sum(statuses[s] for s in DELIVERED)
    assert data["totals"]["read"] == statuses["read"]
    assert data["totals"]["not_sent"] == statuses["failed"] + statuses["bounced"]
    assert data["totals"]["messages"] == len(rows)
    # and the funnel per sweep: targeted → sent → delivered → read → effective
    for row, sweep in zip(data["funnel"], [sms, email], strict=True):
        mine = Counter(m.status for m in rows if m.sweep_id == sweep.pk)
        delivered = sum(mine[s] for s in DELIVERED)
        assert (row["number"], row["channel"]) == (sweep.number, sweep.channel)
        assert row["targeted"] == sum(mine.values())
        assert row["sent"] == sum(mine[s] for s in SENT)
        assert row["delivered"] == delivered
        assert row["read"] == mine["read"]
        assert row["effective"] == mine["read"]  # no tracked links opened
        assert row["effectiveness"] == round(100 * mine["read"] / delivered, 1)
    # and the management summary compares each target with the actual figure
    people = {m.person for m in rows}
    reached = {m.person for m in rows if m.status in DELIVERED}
    targets = {t["key"]: t for t in data["management"]["targets"]}
    contact_rate = round(100 * round(len(reached) / len(people), 4), 1)
    assert targets["contact_rate"]["target"] == 50.0
    assert targets["contact_rate"]["actual"] == contact_rate
    assert targets["contact_rate"]["met"] is (contact_rate >= 50)
    delivered = sum(1 for m in rows if m.status in DELIVERED)
    read = sum(1 for m in rows if m.status == "read")
    assert targets["effectiveness"]["actual"] == round(100 * round(read / delivered, 4), 1)
    assert targets["effectiveness"]["met"] is False
    assert data["management"]["objective"] == "Recordar el pago de la cuota."
    assert data["management"]["sweeps"] == {"planned": 3, "run": 2}
    assert data["definitions"]["contact_rate"].startswith("Contactabilidad")
    # and the read register was asked for
    assert data["read_register"] == {"requested": True, "rows": read}


def test_send_hours_costs_and_observations(reported):
    brief, sms, _email = reported
    data = campaign.build(brief)
    # the send-time histogram by local hour, from sent_at
    rows = _messages(brief, sent_at__isnull=False)
    hours = Counter(m.sent_at.astimezone(BOGOTA).hour for m in rows)
    assert [h["sent"] for h in data["send_hours"]] == [hours[h] for h in range(24)]
    # the SMS segments: sent SMS × the template's segments
    sent_sms = sum(1 for m in _messages(brief, sweep=sms) if m.status in SENT)
    segments = sms_rules.analyze(sms.template.body)["segments"]
    assert data["costs"]["sms_segments"] == sent_sms * segments
    assert data["costs"]["whatsapp_conversations"] == 0
    assert data["costs"]["interactions"] == Interaction.objects.filter(brief=brief).count()
    # the advisors' observations
    assert data["observations"]["count"] == 1
    assert data["observations"]["items"][0]["text"].startswith("=HYPERLINK")
    # the dispatch report's keys are all still there (DESIGN §6)
    for key in ("brief", "base", "sweeps", "totals", "sweeps_count", "targeted", "contact_rate",
                "effectiveness", "send_times", "read_tracking"):  # fmt: skip
        assert key in data


FINAL = {"delivered", "read", "voicemail", "no_answer", "failed", "bounced"}


def _people_and_billable(brief) -> tuple[int, int, int]:
    rows = _messages(brief)
    reached = {m.person for m in rows if m.status in DELIVERED}
    targeted = {m.person for m in rows if m.status != "suppressed"}
    billable = sum(1 for m in rows if m.status in FINAL and m.provider_message_id)
    return len(reached), len(targeted), billable


def test_people_and_billable_messages_follow_a_status_change(reported):
    # given the report of two sweeps, built once (its figures over every message are kept
    # while the sweeps' counts stay the same)
    brief, _sms, _email = reported
    first = campaign.build(brief)
    reached, targeted, billable = _people_and_billable(brief)
    assert (first["people_reached"], first["people_targeted"]) == (reached, targeted)
    assert first["costs"]["billable_messages"] == billable
    # when a message of a person not reached yet is delivered
    done = {m.person for m in _messages(brief, status__in=DELIVERED)}
    moved = next(m for m in _messages(brief, status="sent") if m.person not in done)
    Message.objects.filter(pk=moved.pk).update(
        status="delivered", rank=5, provider_message_id="moved-1"
    )
    # then the report counts it at once
    again = campaign.build(brief)
    assert (again["people_reached"], again["people_targeted"]) == (reached + 1, targeted)
    assert again["costs"]["billable_messages"] == billable + 1
    assert _people_and_billable(brief) == (reached + 1, targeted, billable + 1)


def test_filters_narrow_the_sweep_part(reported):
    brief, sms, email = reported
    # when filtered by channel, or by sweep number
    by_channel = campaign.build(brief, channel="email")
    by_sweep = campaign.build(brief, sweep=sms.number)
    # then only that sweep's messages count
    mails = _messages(brief, sweep=email)
    assert [s["id"] for s in by_channel["sweeps"]] == [email.pk]
    assert by_channel["totals"]["read"] == sum(1 for m in mails if m.status == "read")
    assert by_channel["totals"]["messages"] == len(mails)
    assert [s["id"] for s in by_sweep["sweeps"]] == [sms.pk]
    assert by_sweep["filters"] == {"sweep": sms.number, "channel": None}


def test_api_answers_json_pdf_and_refuses_bad_filters(api, reported, solicitante, outsider):
    brief, _sms, _email = reported
    url = reverse("api:brief_report", args=[brief.code])
    # JSON with the new keys
    r = api.as_user(solicitante).get(url)
    assert r.status_code == 200
    assert r.json()["title"] == "Ficha Técnica de Resultados"
    # PDF (was 400)
    r = api.as_user(solicitante).get(url, {"format": "pdf"})
    assert r.status_code == 200
    assert r.content[:5] == b"%PDF-"
    # bad filters and formats are a structured 400
    r = api.as_user(solicitante).get(url, {"sweep": "x"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "sweep"
    assert api.as_user(solicitante).get(url, {"format": "doc"}).status_code == 400
    # a user of another area is refused
    assert api.as_user(outsider).get(url).status_code in (403, 404)


def test_only_ocm_writes_conclusions(api, reported, analista, solicitante):
    brief, _sms, _email = reported
    url = reverse("api:brief_report_conclusions", args=[brief.code])
    # the area cannot write them: nothing stored
    r = api.as_user(solicitante).post(url, {"text": "Bien."}, format="json")
    assert r.status_code == 403
    assert not ReportConclusion.objects.exists()
    # OCM can; the report shows the latest
    r = api.as_user(analista).post(url, {"text": "Se cumplió la meta."}, format="json")
    assert r.status_code == 201
    actions.write_conclusions(brief, actor=analista, text="Meta cumplida en el segundo barrido.")
    assert campaign.build(brief)["conclusions"]["text"] == "Meta cumplida en el segundo barrido."
    assert ReportConclusion.objects.filter(brief=brief).count() == 2
