"""Sweeps API, provider callbacks over HTTP, the report JSON, and rate limits."""

from __future__ import annotations

import datetime as dt

import pytest

from brief.core.calendar import BOGOTA
from brief.dispatch import engine
from brief.dispatch.models import Message
from brief.dispatch.ratelimit import LocalBucket, RedisBucket, throttle
from brief.dispatch.tasks import run_sweep


@pytest.fixture(autouse=True)
def _open_window(monkeypatch):
    monkeypatch.setattr(engine, "clock", lambda: dt.datetime(2026, 12, 9, 10, tzinfo=BOGOTA))


def test_create_read_and_control_a_sweep_through_the_api(api, campaign, proveedor):
    brief, _, templates = campaign(n=8, channels=("sms",))
    url = f"/api/v1/briefs/{brief.code}/sweeps/"
    r = api.as_user(proveedor).post(
        url,
        {
            "channel": "sms",
            "template": templates["sms"].pk,
            "provider_account": "locmem",
            "start_at": None,
            "include": "all",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    sweep = r.json()
    assert (sweep["number"], sweep["channel"], sweep["state"]) == (1, "sms", "running")
    assert sweep["counts"]["queued"] == 8
    assert set(sweep["counts"]) == {
        "queued",
        "sent",
        "delivered",
        "read",
        "voicemail",
        "no_answer",
        "failed",
        "bounced",
        "suppressed",
        "deferred",
        "unknown",
    }
    r = api.as_user(proveedor).post(f"/api/v1/sweeps/{sweep['id']}/pause/")
    assert r.json()["state"] == "paused"
    assert api.as_user(proveedor).post(f"/api/v1/sweeps/{sweep['id']}/pause/").status_code == 409
    assert (
        api.as_user(proveedor).post(f"/api/v1/sweeps/{sweep['id']}/resume/").json()["state"]
        == "running"
    )
    assert api.as_user(proveedor).post(f"/api/v1/sweeps/{sweep['id']}/explode/").status_code == 404
    assert (
        api.as_user(proveedor).post(f"/api/v1/sweeps/{sweep['id']}/cancel/").json()["state"]
        == "cancelled"
    )


def test_sweep_api_refusals(api, campaign, proveedor, solicitante, outsider):
    brief, _, templates = campaign(n=2, channels=("sms", "email"))
    url = f"/api/v1/briefs/{brief.code}/sweeps/"
    payload = {"channel": "sms", "template": templates["email"].pk, "provider_account": "locmem"}
    r = api.as_user(proveedor).post(url, payload, format="json")
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "template"
    payload["template"] = templates["sms"].pk
    r = api.as_user(proveedor).post(url, {**payload, "ignore_windows": True}, format="json")
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "exception_reason"
    assert api.as_user(solicitante).post(url, payload, format="json").status_code == 403
    assert api.as_user(outsider).get(url).status_code == 403
    assert not Message.objects.exists()


def test_report_totals_rates_and_send_times(api, campaign, proveedor, solicitante):
    brief, _, templates = campaign(n=10, channels=("sms",))
    r = api.as_user(proveedor).post(
        f"/api/v1/briefs/{brief.code}/sweeps/",
        {"channel": "sms", "template": templates["sms"].pk, "provider_account": "locmem"},
        format="json",
    )
    from brief.dispatch.models import Sweep

    sweep = Sweep.objects.get(pk=r.json()["id"])
    assert run_sweep(sweep.pk) == "done"  # the task stamps started_at
    messages = list(Message.objects.filter(sweep=sweep).order_by("id"))
    from brief.dispatch.providers.base import StatusUpdate

    engine.apply_status_updates(
        "locmem", [StatusUpdate(m.provider_message_id, "delivered") for m in messages[:6]]
    )
    engine.apply_status_updates("locmem", [StatusUpdate(messages[0].provider_message_id, "read")])
    report = api.as_user(solicitante).get(f"/api/v1/briefs/{brief.code}/report/").json()
    assert report["brief"]["code"] == brief.code
    assert report["base"]["rows_usable"] == 10
    assert report["totals"]["sent"] == 10
    assert report["totals"]["delivered"] == 6
    assert report["totals"]["read"] == 1
    assert report["totals"]["not_sent"] == 0
    assert report["contact_rate"] == 0.6
    sweep.refresh_from_db()
    assert sweep.started_at is not None
    assert report["sweeps"][0]["started_at"] == sweep.started_at.isoformat()
    assert sum(h["sent"] for h in report["send_times"]) == 10
    assert report["send_times"][0]["hour"].endswith("-05:00")
    csv = api.as_user(solicitante).get(f"/api/v1/briefs/{brief.code}/report/?format=csv")
    assert csv.status_code == 200
    assert "Contactabilidad" in csv.content.decode("utf-8-sig")
    xlsx = api.as_user(solicitante).get(f"/api/v1/briefs/{brief.code}/report/?format=xlsx")
    assert xlsx.content[:2] == b"PK"
    assert (
        api.as_user(solicitante).get(f"/api/v1/briefs/{brief.code}/report/?format=doc").status_code
        == 400
    )


def test_local_token_bucket_paces_to_the_rate():
    bucket = LocalBucket(rate=100, burst=10)
    waited = []
    assert throttle(bucket, 10, sleep=waited.append) == 0.0
    wait = throttle(bucket, 50, sleep=waited.append)
    assert 0.45 < wait <= 0.51  # 50 tokens at 100/s
    assert waited == [wait]


def test_redis_token_bucket_is_shared_between_clients():
    from tests.services import redis_server

    with redis_server() as url:
        a = RedisBucket(url, "cuenta", rate=10, burst=10)
        b = RedisBucket(url, "cuenta", rate=10, burst=10)
        assert a.reserve(10) == 0.0
        wait = b.reserve(5)  # the other client already took the burst
        assert 0.4 < wait <= 0.51


def test_send_times_count_each_local_hour_across_gaps(api, campaign, proveedor):
    """The histogram equals a count of the stored send times by Bogota hour, with empty
    hours left out and the minutes of an hour together."""
    import collections
    import datetime as dt

    from brief.core.calendar import BOGOTA
    from brief.dispatch import report
    from brief.dispatch.models import Sweep

    brief, _, templates = campaign(n=10, channels=("sms",))
    r = api.as_user(proveedor).post(
        f"/api/v1/briefs/{brief.code}/sweeps/",
        {"channel": "sms", "template": templates["sms"].pk, "provider_account": "locmem"},
        format="json",
    )
    sweep = Sweep.objects.get(pk=r.json()["id"])
    assert run_sweep(sweep.pk) == "done"
    base = dt.datetime(2026, 12, 10, 13, 0, tzinfo=dt.UTC)  # 08:00 in Bogota
    offsets = [0, 1, 59, 60, 61, 185, 185, 600, 3000, 3001]  # minutes
    messages = list(Message.objects.filter(sweep=sweep).order_by("id"))
    for message, minutes in zip(messages, offsets, strict=True):
        message.sent_at = base + dt.timedelta(minutes=minutes, seconds=30)
        message.save(update_fields=["sent_at"])
    expected = collections.Counter(
        m.sent_at.astimezone(BOGOTA).replace(minute=0, second=0, microsecond=0).isoformat()
        for m in Message.objects.filter(sweep=sweep)
    )
    histogram = report.send_times([sweep.pk])
    assert {h["hour"]: h["sent"] for h in histogram} == dict(expected)
    assert [h["hour"] for h in histogram] == sorted(expected)
    assert len(histogram) == 5  # 08, 09, 11, 18 h and two days later
