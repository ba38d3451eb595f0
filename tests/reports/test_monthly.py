"""The monthly mass-campaign report and the improvement follow-up."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core import mail
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from brief.calls.models import Interaction
from brief.campaigns.models import Brief
from brief.contacts.models import ContactBase
from brief.core.choices import ClockState
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.core.models import AuditEvent, SLAClock
from brief.dispatch.models import Message
from brief.reports import actions, monthly, tasks
from brief.reports.choices import RecommendationStatus
from brief.reports.models import Recommendation
from tests.reports.conftest import MONTH

SENT = ["sent", "delivered", "read", "voicemail", "no_answer"]


def expected_row(brief) -> dict:
    """The campaign's figures computed here from its stored rows."""
    messages = Message.objects.filter(sweep__brief=brief)
    reached = messages.filter(status__in=["delivered", "read"]).values("person").distinct().count()
    targeted = messages.exclude(status="suppressed").values("person").distinct().count()
    clocks = SLAClock.objects.filter(subject_id=brief.pk, subject_type__model="brief")
    met = clocks.filter(state=ClockState.MET).count()
    late = (
        clocks.filter(state=ClockState.LATE).count()
        + clocks.filter(state__in=["running", "paused"], breached_at__isnull=False).count()
    )
    base = ContactBase.objects.current(brief)
    return {
        "sent": messages.filter(status__in=SENT).count(),
        "delivered": messages.filter(status__in=["delivered", "read"]).count(),
        "read": messages.filter(status="read").count(),
        "contact_rate": round(reached / targeted, 4) if targeted else 0.0,
        "sla_met": met,
        "sla_late": late,
        "sla_on_time": round(100 * met / (met + late), 1) if met + late else None,
        "usable_rows": (base.summary or {}).get("rows_usable") if base else None,
    }


def test_the_month_holds_the_campaigns_whose_execution_overlaps_it(month_world):
    # when the report of December 2026 is built for every area
    data = monthly.mass_campaigns(None, 2026, 12)
    # then A and B are in it; C (February) and D (a draft) are not
    assert sorted(r["code"] for r in data["campaigns"]) == sorted(
        [month_world["A"].code, month_world["B"].code]
    )
    assert data["month"] == "2026-12"


def test_every_figure_matches_the_stored_rows(month_world):
    data = monthly.mass_campaigns(None, 2026, 12)
    rows = {r["code"]: r for r in data["campaigns"]}
    for key in ("A", "B"):
        brief = month_world[key]
        row, want = rows[brief.code], expected_row(brief)
        for name, value in want.items():
            assert row[name] == value, (key, name)
    # the SMS sweep of A: 6 messages, 2 delivered + 1 read, 1 failed, 2 left "sent"
    a = rows[month_world["A"].code]
    assert (a["sent"], a["delivered"], a["read"], a["not_sent"]) == (5, 3, 1, 1)
    assert a["sla_on_time"] == (
        None if a["sla_met"] == 0 else round(100 * a["sla_met"] / (a["sla_met"] + 2), 1)
    )
    assert a["sla_late"] >= 2
    # B's calls: right party on 2 of the 3 dialled contacts, both effective
    calls = Interaction.objects.filter(brief=month_world["B"], channel="call")
    dialled = calls.values("contact").distinct().count()
    right = calls.filter(typification__right_party=True).values("contact").distinct().count()
    effective = calls.filter(typification__effective=True).values("contact").distinct().count()
    b = rows[month_world["B"].code]
    assert b["call_contact_rate"] == round(100 * right / dialled, 1) == 66.7
    assert b["call_effectiveness"] == round(100 * effective / right, 1) == 100.0
    # and the totals are the sums of the lines
    totals = data["totals"]
    assert totals["campaigns"] == 2
    assert totals["sent"] == sum(r["sent"] for r in data["campaigns"])
    assert (
        totals["delivered"]
        == Message.objects.filter(
            sweep__brief__in=[month_world["A"], month_world["B"]], status__in=["delivered", "read"]
        ).count()
    )


def test_an_area_user_sees_only_their_area(client, month_world, solicitante, other_area):
    client.force_login(solicitante)
    url = reverse("reports:monthly")
    page = client.get(url, {"mes": "2026-12"})
    assert page.status_code == 200
    codes = [r["code"] for r in page.context["report"]["campaigns"]]
    assert codes == [month_world["A"].code]
    # another area's report is refused
    assert client.get(url, {"mes": "2026-12", "area": other_area.code}).status_code == 403
    with pytest.raises(Forbidden, match="su área"):
        monthly.mass_campaigns(other_area, 2026, 12, user=solicitante)


def test_ocm_and_the_auditor_see_every_area_and_filter_by_one(
    client, month_world, analista, auditor, other_area
):
    for user in (analista, auditor):
        client.force_login(user)
        page = client.get(reverse("reports:monthly"), {"mes": "2026-12"})
        assert len(page.context["report"]["campaigns"]) == 2
        page = client.get(reverse("reports:monthly"), {"mes": "2026-12", "area": other_area.code})
        assert [r["code"] for r in page.context["report"]["campaigns"]] == [month_world["B"].code]


def test_advisors_and_communications_are_refused(client, api, month_world, asesor, comunicaciones):
    for user in (asesor, comunicaciones):
        client.force_login(user)
        assert client.get(reverse("reports:monthly"), {"mes": "2026-12"}).status_code == 403
        assert api.as_user(user).get(reverse("api:monthly_report")).status_code == 403


def test_a_bad_month_is_a_form_error_not_a_500(client, analista, db):
    client.force_login(analista)
    page = client.get(reverse("reports:monthly"), {"mes": "2026-13"})
    assert page.status_code == 200
    assert page.context["report"] is None
    assert "AAAA-MM" in page.content.decode()


def test_the_api_gives_the_same_json(api, month_world, analista):
    body = api.as_user(analista).get(reverse("api:monthly_report"), {"month": "2026-12"}).json()
    assert body == monthly.mass_campaigns(None, 2026, 12, user=analista)
    assert api.get(reverse("api:monthly_report"), {"month": "2026-13"}).status_code == 400


def test_xlsx_is_formula_safe_and_pdf_is_a_pdf(client, month_world, analista):
    Brief.objects.filter(pk=month_world["A"].pk).update(name='=HYPERLINK("http://x")')
    client.force_login(analista)
    url = reverse("reports:monthly")
    xlsx = client.get(url, {"mes": "2026-12", "format": "xlsx"})
    assert xlsx.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content))
    assert book.sheet_names == ["Campañas", "Recomendaciones", "Definiciones"]
    rows = book.get_sheet_by_name("Campañas").to_python()
    names = [r[1] for r in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in names
    a = next(r for r in rows[1:] if r[0] == month_world["A"].code)
    assert a[9:12] == [5, 3, 1]  # sent, delivered, read as numbers
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as archive:
        sheets = "".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")
        )
    assert "<f>" not in sheets
    pdf = client.get(url, {"mes": "2026-12", "format": "pdf"})
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert pdf["Content-Type"] == "application/pdf"


# --- recommendations ------------------------------------------------------------------------


def test_recommendations_are_filed_updated_and_closed_with_history(
    area, analista, proveedor, solicitante, jefe
):
    # given OCM files one for the area, owned by the boss
    rec = actions.create_recommendation(
        actor=analista,
        text="Depurar la base antes del envío",
        area=area,
        owner=jefe,
        due_date=dt.date(2026, 12, 15),
    )
    # the provider may file too; the requester may not
    actions.create_recommendation(
        actor=proveedor, text="Otra", area=area, owner=jefe, due_date=dt.date(2026, 12, 20)
    )
    with pytest.raises(Forbidden, match="OCM y el proveedor"):
        actions.create_recommendation(
            actor=solicitante, text="x", area=area, owner=jefe, due_date=dt.date(2026, 12, 20)
        )
    # the owner moves it; someone else may not
    actions.set_recommendation_status(rec, actor=jefe, status=RecommendationStatus.IN_PROGRESS)
    with pytest.raises(Forbidden, match="responsable"):
        actions.set_recommendation_status(rec, actor=proveedor, status="open")
    # closing needs a note
    with pytest.raises(Invalid, match="nota de cierre"):
        actions.close_recommendation(rec, actor=jefe, note=" ")
    actions.set_recommendation_status(rec, actor=jefe, status="closed", note="Base depurada.")
    rec.refresh_from_db()
    assert rec.status == "closed"
    assert rec.closed_at is not None
    assert rec.closing_note == "Base depurada."
    with pytest.raises(Conflict, match="ya está cerrada"):
        actions.set_recommendation_status(rec, actor=jefe, status="open")
    history = list(
        AuditEvent.objects.filter(target_id=str(rec.pk), target_type="reports.recommendation")
        .order_by("pk")
        .values_list("type", flat=True)
    )
    assert history == ["RECOMMENDATION_CREATED", "RECOMMENDATION_UPDATED", "RECOMMENDATION_CLOSED"]


def test_the_month_counts_opened_closed_and_overdue_recommendations(area, analista, jefe):
    def make(text, due, created, closed=None):
        rec = Recommendation.objects.create(
            text=text, area=area, owner=jefe, due_date=due, created_by=analista, created_at=created
        )
        if closed:
            Recommendation.objects.filter(pk=rec.pk).update(status="closed", closed_at=closed)
        return rec.pk

    tz = timezone.get_current_timezone()
    nov = dt.datetime(2026, 11, 10, tzinfo=tz)
    dec = dt.datetime(2026, 12, 3, tzinfo=tz)
    opened_late = make("vencida abierta", dt.date(2026, 12, 10), dec)
    closed_in_dec = make("cerrada en dic", dt.date(2026, 11, 20), nov, closed=dec)
    make("a tiempo", dt.date(2027, 1, 30), nov)
    closed_before = make("cerrada en nov", dt.date(2026, 11, 20), nov, closed=nov)
    data = monthly.month_recommendations(Recommendation.objects.all(), MONTH)
    assert [r["id"] for r in data["opened"]] == [opened_late]
    assert [r["id"] for r in data["closed"]] == [closed_in_dec]
    # overdue at the month's end: due before it and not closed by then
    assert sorted(r["id"] for r in data["overdue"]) == [opened_late]
    assert closed_before not in [r["id"] for r in data["overdue"]]


def test_the_list_page_flags_overdue_ones_and_owners_update_there(client, area, analista, jefe):
    rec = actions.create_recommendation(
        actor=analista, text="Revisar guion", area=area, owner=jefe, due_date=dt.date(2020, 1, 1)
    )
    client.force_login(jefe)
    page = client.get(reverse("reports:recommendation_list"))
    assert page.status_code == 200
    assert page.context["rows"][0]["overdue"] is True
    assert "Vencida" in page.content.decode()
    assert page.context["form"] is None  # the boss does not file recommendations
    client.post(
        reverse("reports:recommendation_update", args=[rec.pk]),
        {"status": "closed", "note": "Hecho"},
    )
    rec.refresh_from_db()
    assert rec.status == "closed"
    assert client.get(reverse("reports:recommendation_list")).context["rows"] == []


def test_ocm_files_a_recommendation_on_the_page(client, area, analista, jefe):
    client.force_login(analista)
    response = client.post(
        reverse("reports:recommendation_list"),
        {
            "text": "Ajustar franjas",
            "area": area.code,
            "owner": jefe.username,
            "due_date": "2026-12-20",
        },
    )
    assert response.status_code == 302
    assert Recommendation.objects.get().owner == jefe


def test_recommendations_api_list_create_patch(api, area, other_area, analista, jefe, outsider):
    url = reverse("api:recommendations")
    created = api.as_user(analista).post(
        url,
        {
            "text": "Mejorar tipificación",
            "area": area.code,
            "owner": jefe.username,
            "due_date": "2026-12-31",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    bad = api.post(
        url,
        {"text": "x", "area": "nope", "owner": jefe.username, "due_date": "2026-12-31"},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "area"
    assert api.post(url, ["x"], format="json").status_code == 400
    # the other area's requester does not see it
    assert api.as_user(outsider).get(url).json() == []
    assert api.as_user(jefe).get(url, {"status": "open"}).json()[0]["id"] == pk
    # the owner closes it
    detail = reverse("api:recommendation", args=[pk])
    refused = api.as_user(jefe).patch(detail, {"status": "closed"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "note"
    done = api.patch(detail, {"status": "closed", "note": "Listo"}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "closed"
    assert api.as_user(outsider).patch(detail, {"status": "open"}, format="json").status_code == 404


# --- the beat ---------------------------------------------------------------------------------


def test_the_beat_mails_last_months_report_to_ocm_once(
    month_world, analista, monkeypatch, settings
):
    # given the first of January 2027
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2027, 1, 1, 6, tzinfo=dt.UTC))
    mail.outbox.clear()
    # when the beat runs twice
    assert tasks.send_monthly_reports.run() == 1
    assert tasks.send_monthly_reports.run() == 0
    # then OCM got one e-mail with the December report attached
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [analista.email]
    assert "2026-12" in message.subject
    names = [a[0] for a in message.attachments]
    assert names == ["informe-mensual-2026-12.xlsx", "informe-mensual-2026-12.pdf"]
    schedule = settings.CELERY_BEAT_SCHEDULE["send-monthly-reports"]["schedule"]
    assert schedule.day_of_month == {1}


def test_counts_helper_agrees_with_group_by(month_world):
    # sla_counts is one grouped query: the same numbers as counting clock by clock
    ids = [month_world["A"].pk, month_world["B"].pk]
    counts = monthly.sla_counts(ids)
    raw = (
        SLAClock.objects.filter(subject_id__in=ids, subject_type__model="brief", state="met")
        .values("subject_id")
        .annotate(n=Count("id"))
    )
    for row in raw:
        assert counts[row["subject_id"]]["met"] == row["n"]
