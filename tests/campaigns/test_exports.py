"""Downloads of the brief list and the OCM board: the page's filters and the user's scope,
Spanish headers, CSV and XLSX (read back with openpyxl), audited, never cached, refused to
whoever may not see the page; bad filters are shown, never ignored."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from brief.campaigns import actions
from brief.campaigns.choices import Status
from brief.campaigns.models import Brief
from brief.core.models import AuditEvent, SLAClock
from tests.helpers import brief_data

LIST_EXPORT = "campaigns:brief_export"
BOARD_EXPORT = "campaigns:board_export"
LIST_HEADER = ["Código", "Campaña", "Área", "Proveedor", "Estado", "Clase", "Tipo", "Canales",
               "Inicio", "Fin", "Solicitante", "Creado", "Último movimiento"]  # fmt: skip
BOARD_HEADER = ["Código", "Campaña", "Área", "Proveedor", "Estado", "Clase", "Tipo", "Canales",
                "Inicio", "Fin", "Próximo ANS", "Vence", "ANS vencido"]  # fmt: skip


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _xlsx(response) -> list[list[str | None]]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


@pytest.fixture
def briefs(make_brief, outsider):
    """A draft (WhatsApp only) and a submitted brief of area A; a draft of area B."""
    draft = make_brief(Status.DRAFT, channels=["whatsapp"], name="Solo WhatsApp")
    submitted = make_brief(Status.SUBMITTED, name="Radicada")
    other = actions.create_brief(actor=outsider, data=brief_data(name="Campaña de fondos"))
    return draft, submitted, other


# --- the brief list --------------------------------------------------------------------


def test_list_csv_has_the_filtered_rows_in_spanish(client, briefs, analista):
    draft, submitted, _other = briefs
    client.force_login(analista)
    # when OCM exports the drafts that go by WhatsApp
    response = client.get(
        reverse(LIST_EXPORT), {"status": "draft", "channel": "whatsapp", "formato": "csv"}
    )
    # then a CSV download of that one brief, never cached
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="briefs-')
    assert "no-store" in response["Cache-Control"]
    rows = _csv(response)
    assert rows[0] == LIST_HEADER
    assert [r[0] for r in rows[1:]] == [draft.code]
    row = rows[1]
    assert row[1:3] == ["Solo WhatsApp", str(draft.area)]
    assert row[4] == "Borrador"
    assert row[7] == "WhatsApp"
    assert row[8] == draft.start_date.isoformat()
    assert submitted.code not in {r[0] for r in rows}


def test_list_export_never_holds_another_areas_brief(client, briefs, solicitante, outsider):
    draft, submitted, other = briefs
    # when the requester of area A exports everything they can
    client.force_login(solicitante)
    rows = _csv(client.get(reverse(LIST_EXPORT), {"formato": "csv"}))
    # then their two briefs, not area B's (even when asking for area B by id)
    assert sorted(r[0] for r in rows[1:]) == sorted([draft.code, submitted.code])
    rows = _csv(client.get(reverse(LIST_EXPORT), {"formato": "csv", "area": other.area_id}))
    assert other.code not in {r[0] for r in rows}
    # and area B's requester gets only theirs
    client.force_login(outsider)
    rows = _csv(client.get(reverse(LIST_EXPORT), {"formato": "csv"}))
    assert [r[0] for r in rows[1:]] == [other.code]


def test_list_xlsx_opens_with_openpyxl_and_is_audited(client, briefs, analista):
    draft, submitted, other = briefs
    client.force_login(analista)
    AuditEvent.objects.filter(type="BRIEFS_EXPORTED").delete()
    response = client.get(reverse(LIST_EXPORT), {"q": "a", "formato": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "no-store" in response["Cache-Control"]
    rows = _xlsx(response)
    assert rows[0] == LIST_HEADER
    assert sorted(r[0] for r in rows[1:]) == sorted([draft.code, submitted.code, other.code])
    # the download is audited once, with its format, filters and row count
    event = AuditEvent.objects.get(type="BRIEFS_EXPORTED")
    assert event.actor == analista
    assert event.details == {"format": "xlsx", "rows": 3, "filters": {"q": "a"}}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "Elija el formato de exportación"),
        ({"formato": "pdf"}, "Elija el formato de exportación"),
        ({"formato": "csv", "desde": "31/02/x"}, "«Inicio desde» no es una fecha válida"),
        (
            {"formato": "csv", "desde": "2027-02-01", "hasta": "2027-01-01"},
            "«Inicio hasta» debe ser igual o posterior",
        ),
    ],
)
def test_bad_export_is_400_with_the_reason_and_not_audited(
    client, briefs, analista, params, message
):
    client.force_login(analista)
    response = client.get(reverse(LIST_EXPORT), params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(type="BRIEFS_EXPORTED").exists()


def test_anonymous_export_goes_to_login_and_writes_nothing(client, briefs):
    for name in (LIST_EXPORT, BOARD_EXPORT):
        response = client.get(reverse(name), {"formato": "csv"})
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]
    assert not AuditEvent.objects.filter(type__in=["BRIEFS_EXPORTED", "BOARD_EXPORTED"]).exists()


def test_list_page_shows_a_bad_date_and_lists_nothing(client, briefs, analista):
    client.force_login(analista)
    response = client.get(reverse("campaigns:brief_list"), {"desde": "2026-13-45"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "«Inicio desde» no es una fecha válida (AAAA-MM-DD)." in body
    assert all(b.code not in body for b in briefs)


def test_list_page_links_the_exports_with_its_filters(client, briefs, analista):
    client.force_login(analista)
    body = client.get(reverse("campaigns:brief_list"), {"status": "draft"}).content.decode()
    url = reverse(LIST_EXPORT)
    assert f'href="{url}?status=draft&amp;formato=csv"' in body
    assert f'href="{url}?status=draft&amp;formato=xlsx"' in body


def test_list_page_queries_do_not_grow_with_the_rows(client, make_brief, analista):
    client.force_login(analista)
    make_brief(Status.DRAFT)
    url = reverse("campaigns:brief_list")
    with CaptureQueriesContext(connection) as one:
        client.get(url, {"status": "draft"})
    for n in range(3):
        make_brief(Status.DRAFT, name=f"Otra {n}")
    with CaptureQueriesContext(connection) as four:
        response = client.get(url, {"status": "draft"})
    assert response.context["page"].paginator.count == 4
    assert len(four.captured_queries) == len(one.captured_queries)


# --- the board -------------------------------------------------------------------------


def _clock(brief) -> SLAClock:
    return SLAClock.objects.get(
        subject_type=ContentType.objects.get_for_model(Brief),
        subject_id=brief.pk,
        stopped_at__isnull=True,
    )


def test_board_export_in_board_order_with_overdue_and_audited(client, make_brief, analista):
    first = make_brief(Status.SUBMITTED, name="Primera")
    second = make_brief(Status.SUBMITTED, name="Segunda")
    accepted = make_brief(Status.ACCEPTED, name="Cerrada")
    now = timezone.now()
    SLAClock.objects.filter(pk=_clock(first).pk).update(due_at=now + dt.timedelta(days=3))
    SLAClock.objects.filter(pk=_clock(second).pk).update(due_at=now - dt.timedelta(hours=1))
    client.force_login(analista)
    # when OCM downloads the board
    response = client.get(reverse(BOARD_EXPORT), {"formato": "csv"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    rows = _csv(response)
    # then overdue first, the closed brief left out as on the page, in Spanish
    assert rows[0] == BOARD_HEADER
    assert [r[0] for r in rows[1:]] == [second.code, first.code]
    assert [r[12] for r in rows[1:]] == ["Sí", "No"]
    assert rows[2][10] == _clock(first).rule.name
    assert accepted.code not in {r[0] for r in rows}
    event = AuditEvent.objects.get(type="BOARD_EXPORTED")
    assert event.details == {"format": "csv", "rows": 2, "filters": {}}
    # and «solo vencidos» keeps the overdue one, on the page and in the XLSX
    page = client.get(reverse("campaigns:board"), {"vencidos": "on"})
    assert [b.code for g in page.context["groups"] for b in g["items"]] == [second.code]
    rows = _xlsx(client.get(reverse(BOARD_EXPORT), {"vencidos": "on", "formato": "xlsx"}))
    assert rows[0] == BOARD_HEADER
    assert [r[0] for r in rows[1:]] == [second.code]


@pytest.mark.parametrize("who", ["solicitante", "proveedor", "outsider"])
def test_board_export_refused_to_who_has_no_board(client, request, briefs, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse(BOARD_EXPORT), {"formato": "csv"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(type="BOARD_EXPORTED").exists()


def test_board_page_queries_do_not_grow_with_the_rows(client, make_brief, analista):
    client.force_login(analista)
    make_brief(Status.SUBMITTED)
    url = reverse("campaigns:board")
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(3):
        make_brief(Status.SUBMITTED, name=f"Otra {n}")
    with CaptureQueriesContext(connection) as four:
        response = client.get(url)
    assert response.context["total"] == 4
    assert len(four.captured_queries) == len(one.captured_queries)


def test_api_list_takes_the_same_filters_and_refuses_a_bad_date(api, briefs, analista):
    draft, _submitted, _other = briefs
    client = api.as_user(analista)
    response = client.get("/api/v1/briefs/", {"status": "draft", "channel": "whatsapp"})
    assert response.status_code == 200
    assert [b["code"] for b in response.json()["results"]] == [draft.code]
    # a date that does not parse, or a reversed range, is a 400 naming the field
    response = client.get("/api/v1/briefs/", {"desde": "2026-02-31"})
    assert response.status_code == 400
    assert "desde" in response.content.decode()
    response = client.get("/api/v1/briefs/", {"desde": "2027-02-01", "hasta": "2027-01-01"})
    assert response.status_code == 400
    assert "hasta" in response.content.decode()
