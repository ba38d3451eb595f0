"""The daily execution report: figures against counts made here from the stored rows, one
report per brief and day, its SLA clock (started at the day's close, stopped when sent, breached
when it could not be built), the e-mail, the page, the download and the API list."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from python_calamine import CalamineWorkbook

from brief.calls.models import Interaction, TypificationNode
from brief.campaigns.choices import Status
from brief.core import sla
from brief.core.calendar import BOGOTA
from brief.core.choices import ClockState
from brief.dispatch.choices import MessageStatus, SweepState
from brief.dispatch.models import Message, Sweep
from brief.reports import daily, tasks
from brief.reports.models import DailyReport

pytestmark = pytest.mark.django_db

THU, FRI, SAT, MON, TUE, WED = (dt.date(2026, 12, d) for d in (3, 4, 5, 7, 8, 9))  # 8: holiday


def bogota(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BOGOTA)


def close(day: dt.date) -> dt.datetime:
    """When the beat runs: 19:30 Bogota."""
    return bogota(day, 19, 30)


SENT = {"sent", "delivered", "read", "voicemail", "no_answer"}


@pytest.fixture
def running(campaign, proveedor, accounts, asesor):
    """A brief in execution with an SMS and an e-mail sweep and messages over four days, and
    three calls; returns (brief, messages as (channel, status, moment) rows)."""
    brief, base, templates = campaign(n=8, channels=("sms", "email"))
    contacts = list(base.contacts.order_by("row"))
    sweeps = {
        channel: Sweep.objects.create(
            brief=brief,
            number=n,
            channel=channel,
            template=templates[channel],
            base=base,
            provider_account=accounts["locmem"],
            state=SweepState.DONE,
            created_by=proveedor,
            started_at=bogota(THU, 8),
        )
        for n, channel in enumerate(("sms", "email"), 1)
    }
    plan = [
        ("sms", MessageStatus.DELIVERED, bogota(THU, 10), None),
        ("sms", MessageStatus.FAILED, None, bogota(THU, 11)),
        ("sms", MessageStatus.READ, bogota(THU, 12), None),
        ("email", MessageStatus.SENT, bogota(FRI, 9), None),
        ("email", MessageStatus.BOUNCED, bogota(FRI, 9, 30), bogota(FRI, 9, 40)),
        ("sms", MessageStatus.DELIVERED, bogota(SAT, 10), None),
        ("sms", MessageStatus.DELIVERED, bogota(MON, 10), None),
        ("sms", MessageStatus.SUPPRESSED, None, None),  # counted at its sweep's start (Thu)
    ]
    rows = []
    for contact, (channel, status, sent_at, failed_at) in zip(contacts, plan, strict=True):
        Message.objects.create(
            sweep=sweeps[channel],
            contact=contact,
            person=f"CC:{contact.doc_number}",
            to=contact.mobile if channel == "sms" else contact.email,
            status=status,
            sent_at=sent_at,
            failed_at=failed_at,
            error_code="smpp_UNDELIV" if status == MessageStatus.FAILED else "",
        )
        rows.append((channel, status, sent_at or failed_at or bogota(THU, 8)))
    node = TypificationNode.objects.create(brief=brief, level="result", label="Contactado")
    for i, (started, typified) in enumerate(
        [(bogota(THU, 9), True), (bogota(THU, 15), False), (bogota(FRI, 10), True)]
    ):
        Interaction.objects.create(
            code=f"INT-D{i:05d}",
            channel="call",
            brief=brief,
            advisor=asesor,
            created_by=asesor,
            started_at=started,
            typification=node if typified else None,
        )
    return brief, rows


def expected(rows, since, until) -> dict[str, int]:
    """The message totals of ``(since, until]`` counted here from the rows."""
    chosen = [s for _, s, moment in rows if (since is None or moment > since) and moment <= until]
    return {
        "sent": sum(s in SENT for s in chosen),
        "delivered": sum(s in {"delivered", "read"} for s in chosen),
        "read": sum(s == "read" for s in chosen),
        "not_sent": sum(s in {"failed", "bounced", "suppressed"} for s in chosen),
        "bounced": sum(s == "bounced" for s in chosen),
    }


def picked(totals: dict) -> dict[str, int]:
    return {k: totals[k] for k in ("sent", "delivered", "read", "not_sent", "bounced")}


def report_clock(report):
    [clock] = sla.clocks_for(report)
    return clock


def test_first_day_report_figures_email_and_clock(running, analista, solicitante, jefe):
    brief, rows = running
    mail.outbox.clear()
    # when the beat closes Thursday
    result = daily.close_day(THU, at=close(THU))
    # then one report was opened, built and sent
    assert result == {"opened": 1, "generated": 1, "sent": 1, "failed": 0}
    report = DailyReport.objects.get(brief=brief, day=THU)
    data = report.data
    assert picked(data["messages"]["totals"]) == expected(rows, None, close(THU))
    assert picked(data["cumulative"]["totals"]) == expected(rows, None, close(THU))
    assert set(data["messages"]["by_channel"]) == {"sms"}
    assert data["interactions"]["calls_worked"] == 2
    assert data["interactions"]["calls_typified"] == 1
    assert [i["kind"] for i in data["issues"]] == ["failures"]
    assert data["issues"][0]["code"] == "smpp_UNDELIV"
    # the e-mail went to OCM and the area with the download link
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        u.email for u in (analista, solicitante, jefe)
    )
    link = settings.SITE_URL + reverse("reports:daily_download", args=[brief.code, "2026-12-03"])
    assert link in mail.outbox[0].body
    assert report.recipients == 3
    # the clock started at the close and stopped at the sending, on time
    clock = report_clock(report)
    assert clock.rule.code == sla.DAILY_REPORT_RULE
    assert (clock.started_at, clock.stopped_at, clock.state) == (
        close(THU),
        close(THU),
        ClockState.MET,
    )
    assert clock.due_at == sla.compute_due(close(THU), 1, "business_days")


def test_running_twice_writes_and_sends_nothing_more(running):
    brief, _ = running
    daily.close_day(THU, at=close(THU))
    mail.outbox.clear()
    again = daily.close_day(THU, at=close(THU) + dt.timedelta(minutes=5))
    assert again == {"opened": 1, "generated": 0, "sent": 0, "failed": 0}
    assert mail.outbox == []
    assert DailyReport.objects.filter(brief=brief).count() == 1
    assert len(sla.clocks_for(DailyReport.objects.get())) == 1
    # and the database refuses a second report of the same day
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyReport.objects.create(brief=brief, day=THU, closed_at=close(THU))


def test_a_report_that_cannot_be_built_stays_open_breaches_and_is_sent_late(running, monkeypatch):
    _, rows = running
    daily.close_day(THU, at=close(THU))
    real = daily.xlsx

    def broken(data):
        raise RuntimeError("disco lleno")

    # given Friday's and Monday's reports fail to build
    monkeypatch.setattr(daily, "xlsx", broken)
    assert daily.close_day(FRI, at=close(FRI))["failed"] == 1
    assert daily.close_day(SAT, at=close(SAT)) == {  # no business day: nothing opened
        "opened": 0,
        "generated": 0,
        "sent": 0,
        "failed": 1,
    }
    assert daily.close_day(MON, at=close(MON))["failed"] == 2
    friday = DailyReport.objects.get(day=FRI)
    assert (friday.generated_at, friday.sent_at, friday.error) == (None, None, "disco lleno")
    assert not friday.file
    clock = report_clock(friday)
    assert clock.stopped_at is None
    assert clock.due_at == sla.compute_due(close(FRI), 1, "business_days")  # end of Monday
    # when the scan runs on the holiday, Friday's clock is breached, Monday's is not yet
    assert sla.scan_breaches(now=bogota(TUE, 12)) >= 1
    clock.refresh_from_db()
    assert clock.breached_at == bogota(TUE, 12)
    monday_clock = report_clock(DailyReport.objects.get(day=MON))
    monday_clock.refresh_from_db()
    assert monday_clock.breached_at is None  # due Wednesday night (Tuesday is a holiday)
    # when the builder works again on Wednesday, both are built and sent
    monkeypatch.setattr(daily, "xlsx", real)
    result = daily.close_day(WED, at=close(WED))
    assert result == {"opened": 1, "generated": 3, "sent": 3, "failed": 0}
    clock.refresh_from_db()
    monday_clock.refresh_from_db()
    assert (clock.state, monday_clock.state) == (ClockState.LATE, ClockState.MET)
    # Monday's report covers Friday's close to Monday's, Saturday included
    monday = DailyReport.objects.get(day=MON)
    assert picked(monday.data["messages"]["totals"]) == expected(rows, close(FRI), close(MON))
    assert monday.data["messages"]["totals"]["delivered"] == 2
    assert picked(monday.data["cumulative"]["totals"]) == expected(rows, None, close(MON))
    friday.refresh_from_db()
    assert picked(friday.data["messages"]["totals"]) == expected(rows, close(THU), close(FRI))
    assert friday.data["interactions"]["calls_worked"] == 1


def test_only_briefs_in_execution_get_a_report(running, make_brief):
    brief, _ = running
    other = make_brief(Status.RESULTS_REVIEW)
    daily.close_day(THU, at=close(THU))
    assert list(DailyReport.objects.values_list("brief__code", flat=True)) == [brief.code]
    assert not DailyReport.objects.filter(brief=other).exists()


def test_task_and_beat_entry(running):
    entry = settings.CELERY_BEAT_SCHEDULE["close-execution-day"]
    assert entry["task"] == tasks.close_execution_day.name
    assert (
        tasks.close_execution_day.delay(day="2026-12-03", at=close(THU).isoformat()).get()["sent"]
        == 1
    )
    # the task's day defaults to the day of ``at`` in Bogota (00:30 UTC is the evening before)
    late = dt.datetime(2026, 12, 5, 0, 30, tzinfo=dt.UTC)
    assert tasks.close_execution_day.delay(at=late.isoformat()).get()["opened"] == 1
    assert DailyReport.objects.filter(day=FRI).exists()


# --- page, download, API -----------------------------------------------------------------


def test_page_download_and_api_scoped_by_visibility(
    running, client, api, solicitante, proveedor, outsider
):
    brief, rows = running
    daily.close_day(THU, at=close(THU))
    page = reverse("reports:daily_list", args=[brief.code])
    download = reverse("reports:daily_download", args=[brief.code, "2026-12-03"])
    client.force_login(outsider)
    assert client.get(page).status_code == 403
    assert client.get(download).status_code == 403
    for user in (solicitante, proveedor):
        client.force_login(user)
        body = client.get(page).content.decode()
        assert "03/12/2026" in body
        assert f'href="{download}"' in body
    response = client.get(download)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name("Reporte diario")
    cells = sheet.to_python()
    total_rows = [r for r in cells if r and r[0] == "Total"]
    want = expected(rows, None, close(THU))
    # the day's total row: sent, delivered, read, not sent, bounced…
    assert total_rows[0][1:6] == [
        want["sent"],
        want["delivered"],
        want["read"],
        want["not_sent"],
        want["bounced"],
    ]
    assert client.get(reverse("reports:daily_download", args=[brief.code, "x"])).status_code == 404
    # the API list
    r = api.as_user(solicitante).get(f"/api/v1/briefs/{brief.code}/daily-reports/")
    assert r.status_code == 200
    [item] = r.json()["results"]
    assert item["day"] == "2026-12-03"
    assert item["xlsx"].endswith(download)
    assert item["data"]["messages"]["totals"]["sent"] == want["sent"]
    assert (
        api.as_user(outsider).get(f"/api/v1/briefs/{brief.code}/daily-reports/").status_code == 403
    )


def test_xlsx_text_never_runs_as_a_formula(running):
    brief, _ = running
    brief.name = '=HYPERLINK("http://x")'
    brief.save(update_fields=["name"])
    daily.close_day(THU, at=close(THU))
    report = DailyReport.objects.get()
    with report.file.open("rb") as handle:
        cells = (
            CalamineWorkbook.from_filelike(io.BytesIO(handle.read()))
            .get_sheet_by_name("Reporte diario")
            .to_python()
        )
    assert cells[1][2] == '\'=HYPERLINK("http://x")'
