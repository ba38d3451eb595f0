"""The fortnightly SLA report: the fortnight's clocks with their verdicts, compliance per phase
and per responsible side computed here from the clock rows the test writes, the beat task's
fortnight, the e-mail, the page (OCM and internal control), XLSX/PDF and the breach reasons."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from brief.accounts.models import Area
from brief.campaigns.choices import Status
from brief.campaigns.models import Brief, Question
from brief.core.calendar import BOGOTA
from brief.core.choices import ClockState
from brief.core.models import AuditEvent, SLAClock, SLARule
from brief.reports import sla_report, tasks

pytestmark = pytest.mark.django_db

START, END = dt.date(2026, 11, 16), dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 11, 30, 18, 0, tzinfo=BOGOTA)


def at(day: int, hour: int = 10, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=BOGOTA)


def clock(subject, code: str, started, due, *, stopped=None, state=None, breached=None, **kw):
    rule = SLARule.objects.get(code=code)
    if state is None:
        state = (
            ClockState.RUNNING
            if stopped is None
            else (ClockState.MET if stopped <= due else ClockState.LATE)
        )
    return SLAClock.objects.create(
        rule=rule,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        responsible=rule.responsible,
        started_at=started,
        due_at=due,
        stopped_at=stopped,
        state=state,
        breached_at=breached,
        **kw,
    )


@pytest.fixture
def fortnight(make_brief, provider_org, other_provider, solicitante, analista):
    """Two briefs of two providers with clocks in, around and outside the fortnight."""
    one = make_brief(Status.DRAFT, name='=HYPERLINK("http://x")')
    two = make_brief(Status.DRAFT, name="Campaña dos")
    Brief.objects.filter(pk=one.pk).update(provider=provider_org)
    Brief.objects.filter(pk=two.pk).update(provider=other_provider)
    question = Question.objects.create(brief=one, text="¿Hasta cuándo?", asked_by=solicitante)
    area = Area.objects.create(code="sin-brief", name="Sin brief")
    clock(one, "verificacion-ocm", at(17), at(18, 23), stopped=at(18, 12))  # on time
    late = clock(
        one,
        "sms-email-ejecucion",
        at(17),
        at(25, 23),
        stopped=at(27),
        breach_reason="Caída del operador SMS.",
        breach_reason_by=analista,
    )
    clock(two, "reentrega-resultados-proveedor", at(20), at(23, 23), breached=at(24))  # open, due
    clock(two, "aprobacion-salida", at(29), at(1, 23, month=12))  # open, in time at NOW
    clock(one, "verificacion-ocm", at(5), at(6, 23), stopped=at(6, 12))  # before
    clock(two, "verificacion-ocm", at(2, month=12), at(3, 23, month=12))  # after
    clock(two, "revision-resultados-ocm", at(18), at(19, 23), stopped=at(19), state="cancelled")
    clock(question, "pregunta-respuesta", at(16, 8), at(17, 23), stopped=at(16, 9))  # on time
    clock(area, "verificacion-ocm", at(18), at(19, 23), stopped=at(25))  # no brief
    clock(two, "sms-email-ejecucion", at(10), at(13, 23), stopped=at(16, 1))  # late, overlaps
    return one, two, late


def expected_from_rows(now: dt.datetime):
    """The report's rows and percentages, computed here from the stored clocks."""
    begin = dt.datetime(2026, 11, 16, tzinfo=BOGOTA)
    finish = dt.datetime(2026, 12, 1, tzinfo=BOGOTA)
    rows = []
    for c in SLAClock.objects.select_related("rule").order_by("started_at", "pk"):
        if c.state == ClockState.CANCELLED or c.started_at >= finish:
            continue
        if c.stopped_at is not None and c.stopped_at < begin:
            continue
        subject = c.subject
        brief = subject if isinstance(subject, Brief) else getattr(subject, "brief", None)
        if brief is None:
            continue
        if c.stopped_at is not None:
            verdict = "on_time" if c.stopped_at <= c.due_at else "late"
        else:
            verdict = "open_breached" if c.breached_at or now > c.due_at else "open"
        provider = brief.provider.name if brief.provider else ""
        rows.append((c.pk, c.rule.name, c.responsible, provider, verdict))

    def pct(group):
        judged = [v for v in group if v != "open"]
        return round(100 * judged.count("on_time") / len(judged), 1) if judged else None

    by_rule, by_side = defaultdict(list), defaultdict(list)
    for _, rule, side, provider, verdict in rows:
        by_rule[rule].append(verdict)
        by_side[(side, provider if side == "provider" else "")].append(verdict)
    return (
        rows,
        {k: pct(v) for k, v in by_rule.items()},
        {k: pct(v) for k, v in by_side.items()},
    )


def test_fortnights():
    assert sla_report.fortnight_of(dt.date(2026, 11, 30)) == (START, END)
    assert sla_report.fortnight_of(dt.date(2026, 11, 15)) == (
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 15),
    )
    assert sla_report.fortnight_of(dt.date(2028, 2, 20)) == (
        dt.date(2028, 2, 16),
        dt.date(2028, 2, 29),
    )
    assert sla_report.previous_fortnight(dt.date(2026, 12, 1)) == (START, END)
    assert sla_report.previous_fortnight(dt.date(2026, 12, 16)) == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 15),
    )
    assert sla_report.previous_fortnight(dt.date(2027, 1, 1)) == (
        dt.date(2026, 12, 16),
        dt.date(2026, 12, 31),
    )
    assert sla_report.previous_fortnight(dt.date(2026, 12, 10)) == (START, END)


def test_build_lists_each_clock_and_the_percentages(fortnight, provider_org, other_provider):
    _, _, late = fortnight
    data = sla_report.build(START, END, now=NOW)
    rows, by_rule, by_side = expected_from_rows(NOW)
    assert [
        (r["clock"], r["rule_name"], r["responsible"], r["provider"], r["verdict"])
        for r in data["clocks"]
    ] == rows
    assert len(rows) == 6  # the before/after, cancelled and brief-less clocks are left out
    assert data["briefs"] == 2
    assert {g["label"]: g["compliance"] for g in data["by_rule"]} == by_rule
    got_side = {(g["responsible"], g["provider"]): g["compliance"] for g in data["by_responsible"]}
    assert got_side == by_side
    # the hand count: ICETEX 2 on time of 2; provider_org 0 of 1; other provider 0 of 2 (+1 open)
    assert by_side == {
        ("icetex", ""): 100.0,
        ("provider", provider_org.name): 0.0,
        ("provider", other_provider.name): 0.0,
    }
    row = next(r for r in data["clocks"] if r["clock"] == late.pk)
    assert row["breach_reason"] == "Caída del operador SMS."
    totals = data["totals"]
    assert (totals["on_time"], totals["late"], totals["open_breached"], totals["open"]) == (
        2,
        2,
        1,
        1,
    )
    assert totals["compliance"] == round(100 * 2 / 5, 1)


def test_task_picks_the_previous_fortnight_and_emails_ocm_once(fortnight, analista):
    assert settings.CELERY_BEAT_SCHEDULE["send-fortnightly-sla-report"]["task"] == (
        tasks.send_fortnightly_sla_report.name
    )
    mail.outbox.clear()
    assert tasks.send_fortnightly_sla_report.delay(day="2026-12-01").get() == 1
    [message] = mail.outbox
    assert message.to == [analista.email]
    assert "2026-11-16 a 2026-11-30" in message.subject
    names = [name for name, _, _ in message.attachments]
    assert names == [
        "informe-ans-2026-11-16-2026-11-30.xlsx",
        "informe-ans-2026-11-16-2026-11-30.pdf",
    ]
    assert message.attachments[1][1][:4] == b"%PDF"
    event = AuditEvent.objects.get(type="SLA_REPORT_SENT")
    assert event.details["period"] == "2026-11-16/2026-11-30"
    # run again (a restarted beat): nothing more
    assert tasks.send_fortnightly_sla_report.delay(day="2026-12-01").get() == 0
    assert len(mail.outbox) == 1


def test_page_for_ocm_and_auditor_only(
    client, fortnight, analista, auditor, solicitante, proveedor
):
    url = reverse("reports:sla_report")
    query = {"desde": "2026-11-16", "hasta": "2026-11-30"}
    for user in (solicitante, proveedor):
        client.force_login(user)
        assert client.get(url, query).status_code == 403
    for user in (analista, auditor):
        client.force_login(user)
        response = client.get(url, query)
        assert response.status_code == 200
        body = response.content.decode()
        assert "Caída del operador SMS." in body
        assert "Verificación del brief por OCM" in body
    # bad input is a 400 with the reason, never a 500
    assert client.get(url, {"desde": "x", "hasta": "2026-11-30"}).status_code == 400
    response = client.get(url, {"desde": "2026-11-30", "hasta": "2026-11-16"})
    assert response.status_code == 400
    assert "anterior a «desde»" in response.content.decode()
    # the default period is the last full fortnight
    assert client.get(url).status_code == 200


def test_xlsx_and_pdf_downloads_are_formula_safe(client, fortnight, analista):
    client.force_login(analista)
    url = reverse("reports:sla_report")
    query = {"desde": "2026-11-16", "hasta": "2026-11-30"}
    response = client.get(url, {**query, "format": "xlsx"})
    assert response.status_code == 200
    assert 'filename="informe-ans-2026-11-16-2026-11-30.xlsx"' in response["Content-Disposition"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["Relojes", "Por fase", "Por responsable"]
    clocks = book.get_sheet_by_name("Relojes").to_python()
    names = {row[1] for row in clocks[1:]}
    assert '\'=HYPERLINK("http://x")' in names
    assert '=HYPERLINK("http://x")' not in names
    data = sla_report.build(START, END)
    phases = book.get_sheet_by_name("Por fase").to_python()
    assert [[r[0], r[5]] for r in phases[1:]] == [
        [g["label"], g["compliance"] if g["compliance"] is not None else ""]
        for g in data["by_rule"]
    ]
    response = client.get(url, {**query, "format": "pdf"})
    assert response.status_code == 200
    assert response.content[:4] == b"%PDF"


def test_ocm_writes_a_breach_reason_from_the_page(client, fortnight, analista, auditor):
    breached = SLAClock.objects.get(rule__code="reentrega-resultados-proveedor")
    met = SLAClock.objects.filter(state=ClockState.MET).first()
    url = reverse("reports:sla_breach_reason", args=[breached.pk])
    client.force_login(auditor)
    assert client.post(url, {"reason": "x"}).status_code == 403
    client.force_login(analista)
    response = client.post(
        url, {"reason": "El área cambió la base.", "query": "desde=2026-11-16&hasta=2026-11-30"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?desde=2026-11-16&hasta=2026-11-30#reloj-{breached.pk}")
    breached.refresh_from_db()
    assert (breached.breach_reason, breached.breach_reason_by) == (
        "El área cambió la base.",
        analista,
    )
    # a clock met on time takes no reason
    response = client.post(
        reverse("reports:sla_breach_reason", args=[met.pk]), {"reason": "x"}, follow=True
    )
    assert "no está incumplido" in response.content.decode()
    met.refresh_from_db()
    assert met.breach_reason == ""


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_download_is_filtered_audited_and_not_cached(client, fortnight, analista):
    one, two, _late = fortnight
    client.force_login(analista)
    url = reverse("reports:sla_report")
    query = {"desde": "2026-11-16", "hasta": "2026-11-30"}
    # when OCM downloads the missed clocks of the fortnight as CSV
    response = client.get(url, {**query, "resultado": "missed", "format": "csv"})
    # then a CSV of the late and open-breached clocks only, in Spanish, never cached
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    rows = _csv_rows(response)
    assert rows[0] == sla_report.CLOCK_HEADER
    expected, _rules, _sides = expected_from_rows(timezone.now())
    missed = [v for *_, v in expected if v in ("late", "open_breached")]
    assert sorted(r[9] for r in rows[1:]) == sorted(str(sla_report.VERDICTS[v]) for v in missed)
    assert "tarde" in {r[9] for r in rows[1:]}
    assert {r[0] for r in rows[1:]} == {one.code, two.code}
    # and the download is audited with its filters and row count
    event = AuditEvent.objects.get(type="SLA_REPORT_EXPORTED")
    assert event.actor == analista
    assert event.details == {
        "format": "csv",
        "rows": len(missed),
        "filters": {**query, "resultado": "missed"},
    }
    # the XLSX and the PDF are audited too
    assert client.get(url, {**query, "format": "xlsx"})["Cache-Control"].count("no-store") == 1
    assert AuditEvent.objects.filter(type="SLA_REPORT_EXPORTED").count() == 2


def test_area_filter_keeps_that_areas_clocks(client, fortnight, analista, other_area):
    one, _two, _late = fortnight
    client.force_login(analista)
    url = reverse("reports:sla_report")
    query = {"desde": "2026-11-16", "hasta": "2026-11-30"}
    # the fortnight's briefs are all of area A: area B's report is empty, area A's is whole
    response = client.get(url, {**query, "area": other_area.code})
    assert response.status_code == 200
    assert response.context["report"]["clocks"] == []
    whole = client.get(url, query).context["report"]["clocks"]
    assert client.get(url, {**query, "area": one.area.code}).context["report"]["clocks"] == whole
    # an unknown area or result is a 400 with the reason, and nothing is downloaded
    response = client.get(url, {**query, "area": "nope", "format": "csv"})
    assert response.status_code == 400
    assert "Esa área no existe." in response.content.decode()
    response = client.get(url, {**query, "resultado": "x", "format": "csv"})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(type="SLA_REPORT_EXPORTED").exists()


def test_download_refused_to_who_may_not_read_the_report(client, fortnight, solicitante):
    url = reverse("reports:sla_report")
    assert client.get(url, {"format": "csv"}).status_code == 302
    client.force_login(solicitante)
    assert client.get(url, {"format": "csv"}).status_code == 403
    assert not AuditEvent.objects.filter(type="SLA_REPORT_EXPORTED").exists()
