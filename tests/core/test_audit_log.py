"""The audit log page for auditors: Spanish labels, readable details, word search, dates,
paging, CSV/XLSX export (itself audited) and who may see it."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from brief.core import audit
from brief.core.audit import record
from brief.core.audit_labels import details_text
from brief.core.calendar import BOGOTA
from brief.core.models import AuditEvent

LIST = "core:audit_list"
EXPORT = "core:audit_export"


def _fresh() -> None:
    """Start from an empty log (making the personas audited their roles)."""
    AuditEvent.objects.all().delete()


def _table(body: str) -> str:
    """The listed events (the event picker above them names every code)."""
    return body.split("<tbody>")[1] if "<tbody>" in body else ""


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BOGOTA)


@pytest.fixture
def log(auditor, area):
    """A returned and a forwarded brief, a base download by the analyst, a sweep paused."""
    _fresh()
    record("BRIEF_RETURNED", actor=auditor, target=area, details={"note": "Falta la base"})
    record("BRIEF_FORWARDED", actor=auditor, target=area)
    record("BASE_DOWNLOADED", target=area, details={"file": "Bogotá.csv"})
    record("SWEEP_PAUSED", details={"sweep": 7, "reason": "=cmd|' /C calc'!A0"})
    return AuditEvent.objects.order_by("pk")


# --- the page -----------------------------------------------------------------------------


def test_events_read_in_spanish_with_readable_details(client, auditor):
    # given an event whose details hold numbers, lists, booleans, nested dicts and None
    record(
        "BRIEF_RETURNED",
        actor=auditor,
        details={
            "sweep": 3,
            "reason": "Sin avales",
            "to": ["a@icetex.gov.co", "b@icetex.gov.co"],
            "accepted": True,
            "filters": {"q": "base"},
            "mystery": None,
        },
    )
    client.force_login(auditor)
    # when the auditor opens the log
    body = client.get(reverse(LIST)).content.decode()
    # then the event has its Spanish label (the code stays beside it, small)
    assert "Brief devuelto" in body
    assert '<code class="code">BRIEF_RETURNED</code>' in body
    # and the details read «Clave: valor», never a Python repr
    assert '<span class="key">Barrido:</span> 3' in body
    assert '<span class="key">Motivo:</span> Sin avales' in body
    assert '<span class="key">Para:</span> a@icetex.gov.co, b@icetex.gov.co' in body
    assert '<span class="key">Aceptado:</span> sí' in body
    assert '<span class="key">Filtros:</span> Buscar: base' in body
    assert '<span class="key">mystery:</span> —' in body
    for repr_mark in ("{&#x27;", "[&#x27;", "True", "None"):
        assert repr_mark not in body


def test_details_text_is_one_readable_line():
    text = details_text({"sweep": 3, "to": [1, 2], "accepted": False})
    assert text == "Barrido: 3 · Para: 1, 2 · Aceptado: no"
    assert details_text({}) == ""
    assert details_text("plain") == "plain"


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("devuelto", {"BRIEF_RETURNED"}),  # the Spanish label
        ("DEVUÉLTO", {"BRIEF_RETURNED"}),  # case and accents ignored in labels
        ("forwarded", {"BRIEF_FORWARDED"}),  # part of the code
        ("auditor", {"BRIEF_RETURNED", "BRIEF_FORWARDED"}),  # the actor
        ("sistema", {"BASE_DOWNLOADED", "SWEEP_PAUSED"}),  # the system as actor
        ("falta", {"BRIEF_RETURNED"}),  # a details value
        ("Bogotá", {"BASE_DOWNLOADED"}),  # an accented details value
        ("motivo", {"SWEEP_PAUSED"}),  # the Spanish name of a details key
        ("barrido pausado", {"SWEEP_PAUSED"}),  # every word must match
        ("devuelto barrido", set()),
        ("nada-parecido", set()),
    ],
)
def test_search_by_words(log, words, expected):
    assert {e.type for e in audit.search(words=words)} == expected


def test_search_by_object(log, area):
    assert audit.search(words=str(area)[:6]).count() == 3


def test_the_page_filters_by_words_and_event(client, auditor, log):
    client.force_login(auditor)
    body = client.get(reverse(LIST), {"q": "devuelto"}).content.decode()
    assert "BRIEF_RETURNED" in _table(body)
    assert "BRIEF_FORWARDED" not in _table(body)
    # and by the event chosen in the list of Spanish labels
    body = client.get(reverse(LIST), {"tipo": "SWEEP_PAUSED"}).content.decode()
    assert "Barrido pausado" in _table(body)
    assert "BRIEF_RETURNED" not in _table(body)
    assert '<option value="SWEEP_PAUSED" selected>Barrido pausado</option>' in body


def test_date_pickers_filter_by_local_day(client, auditor):
    # given events on three days (Bogota time; 23:00 there is the next day in UTC)
    for day in (dt.date(2026, 11, 2), dt.date(2026, 11, 3), dt.date(2026, 11, 4)):
        event = record("BRIEF_CREATED", details={"day": day.isoformat()})
        AuditEvent.objects.filter(pk=event.pk).update(at=_at(day, hour=23))
    client.force_login(auditor)
    # when filtering 3 to 3 November
    response = client.get(reverse(LIST), {"desde": "2026-11-03", "hasta": "2026-11-03"})
    body = response.content.decode()
    # then only the 3rd is listed, and the inputs are date pickers keeping the values
    assert "Día:</span> 2026-11-03" in body
    assert "2026-11-02" not in body.split("<table")[1]
    assert "2026-11-04" not in body.split("<table")[1]
    assert 'type="date" name="desde" value="2026-11-03"' in body


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"desde": "ayer"}, "«Desde» no es una fecha válida (AAAA-MM-DD)."),
        ({"hasta": "2026-02-30"}, "«Hasta» no es una fecha válida (AAAA-MM-DD)."),
        ({"desde": "2026-11-05", "hasta": "2026-11-01"}, "«Hasta» debe ser igual o posterior"),
        ({"tipo": "NOT_A_CODE"}, "Ese evento no existe."),
    ],
)
def test_bad_filters_are_shown_not_ignored(client, auditor, log, params, message):
    client.force_login(auditor)
    response = client.get(reverse(LIST), params)
    body = response.content.decode()
    # then the Spanish error is shown and no unfiltered list pretends to answer
    assert response.status_code == 200
    assert message in body
    assert "Corrija el filtro" in body
    assert "<tbody>" not in body


def test_bad_filters_in_the_htmx_partial(client, auditor, log):
    client.force_login(auditor)
    response = client.get(reverse(LIST), {"desde": "x"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "«Desde» no es una fecha válida" in body
    assert "<html" not in body


def test_paging_keeps_the_filters(client, auditor):
    # given 120 matching events and 5 others
    _fresh()
    for n in range(120):
        record("CASE_OPENED", details={"number": n})
    for _n in range(5):
        record("CASE_CLOSED")
    client.force_login(auditor)
    # when the third page of «caso abierto» is asked
    response = client.get(reverse(LIST), {"q": "abierto", "page": 3})
    page = response.context["page"]
    # then it holds the last 20 of 120, and the pager links carry the words
    assert page.paginator.count == 120
    assert len(page.object_list) == 20
    body = response.content.decode()
    assert "Página 3 de 3" in body
    assert 'href="?q=abierto&amp;page=2"' in body
    assert 'href="?q=abierto&amp;formato' not in body
    assert f'href="{reverse(EXPORT)}?q=abierto&amp;formato=csv"' in body


# --- export -------------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


HEADER = ["Fecha", "Usuario", "Evento", "Código", "Objeto", "Tipo de objeto", "Id del objeto",
          "IP", "Detalles"]  # fmt: skip


def test_csv_export_streams_the_filtered_log_in_spanish(client, auditor, log, area):
    client.force_login(auditor)
    # when the auditor exports what «auditor» finds, as CSV
    response = client.get(reverse(EXPORT), {"q": "auditor", "formato": "csv"})
    # then a streamed CSV download
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="auditoria-')
    rows = _csv_rows(response)
    assert rows[0] == HEADER
    assert [r[2:4] for r in rows[1:]] == [
        ["Brief remitido al proveedor", "BRIEF_FORWARDED"],
        ["Brief devuelto", "BRIEF_RETURNED"],
    ]
    returned = rows[2]
    assert returned[1] == "auditor"
    assert returned[4] == str(area)
    assert returned[5:7] == ["accounts.area", str(area.pk)]
    assert returned[8] == "Nota: Falta la base"
    local = timezone.localtime(log.get(type="BRIEF_RETURNED").at)
    assert returned[0] == local.strftime("%Y-%m-%d %H:%M:%S")


def test_export_is_audited_with_filters_and_row_count(client, auditor, log):
    client.force_login(auditor)
    response = client.get(reverse(EXPORT), {"q": "brief", "desde": "2020-01-01", "formato": "csv"})
    rows = _csv_rows(response)
    # then one AUDIT_EXPORTED, by the auditor, with what was asked and how many rows went out
    exported = AuditEvent.objects.get(type="AUDIT_EXPORTED")
    assert exported.actor == auditor
    assert exported.details == {
        "format": "csv",
        "rows": 2,
        "filters": {"q": "brief", "desde": "2020-01-01"},
    }
    assert len(rows) - 1 == 2
    # and the export does not contain its own record
    assert not any(r[3] == "AUDIT_EXPORTED" for r in rows)
    # and the log shows it in Spanish
    body = client.get(reverse(LIST), {"tipo": "AUDIT_EXPORTED"}).content.decode()
    assert "Auditoría exportada" in body
    assert '<span class="key">Filas:</span> 2' in body


def test_xlsx_export_reads_back(client, auditor, log, tmp_path):
    client.force_login(auditor)
    response = client.get(reverse(EXPORT), {"formato": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[0] == HEADER
    assert [r[3] for r in rows[1:]] == [
        "SWEEP_PAUSED",
        "BASE_DOWNLOADED",
        "BRIEF_FORWARDED",
        "BRIEF_RETURNED",
    ]
    paused = rows[1]
    assert paused[1] == "sistema"
    assert paused[2] == "Barrido pausado"
    # a details text that starts like a formula stays inert text (it starts with «Barrido»
    # here, so nothing to guard) and the export is audited as XLSX with all four rows
    assert paused[8] == "Barrido: 7 · Motivo: =cmd|' /C calc'!A0"
    exported = AuditEvent.objects.get(type="AUDIT_EXPORTED")
    assert exported.details == {"format": "xlsx", "rows": 4, "filters": {}}


def test_export_cells_are_formula_safe(client, auditor):
    record("BRIEF_CREATED", actor=auditor, details={}, ip="10.0.0.1")
    AuditEvent.objects.update(actor_label="=HYPERLINK(1)")
    client.force_login(auditor)
    rows = _csv_rows(client.get(reverse(EXPORT), {"formato": "csv"}))
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_export_reads_in_chunks(auditor, monkeypatch):
    # given 7 events and chunks of 3
    _fresh()
    for n in range(7):
        record("CASE_OPENED", details={"number": n})
    monkeypatch.setattr(audit, "EXPORT_CHUNK", 3)
    rows, count = audit.export(audit.search(), actor=auditor, fmt="csv", filters={})
    # then the rows come in frames of at most 3, newest first
    frames = list(audit.export_frames(rows))
    assert count == 7
    assert [f.height for f in frames] == [3, 3, 1]
    assert [f[0, 8] for f in frames] == ["Número: 6", "Número: 3", "Número: 0"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"formato": "zip"}, "Elija el formato de exportación: CSV o XLSX."),
        ({}, "Elija el formato de exportación: CSV o XLSX."),
        ({"formato": "csv", "desde": "2026-13-01"}, "«Desde» no es una fecha válida"),
        ({"formato": "csv", "desde": "2026-11-02", "hasta": "2026-11-01"}, "posterior"),
    ],
)
def test_bad_export_is_400_and_not_audited(client, auditor, log, params, message):
    client.force_login(auditor)
    response = client.get(reverse(EXPORT), params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(type="AUDIT_EXPORTED").exists()


# --- who may see it -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["auditor", "analista", "superuser"])
def test_audit_readers_see_and_export(client, request, who, log):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(LIST)).status_code == 200
    assert client.get(reverse(EXPORT), {"formato": "csv"}).status_code == 200


@pytest.mark.parametrize(
    "who", ["solicitante", "jefe", "comunicaciones", "lider", "proveedor", "asesor", "outsider"]
)
def test_others_get_403_and_nothing_is_exported(client, request, who, log):
    client.force_login(request.getfixturevalue(who))
    for params in ({}, {"formato": "csv"}, {"formato": "xlsx"}):
        response = client.get(reverse(EXPORT), params)
        assert response.status_code == 403
        assert "<tbody>" not in response.content.decode()
    assert client.get(reverse(LIST)).status_code == 403
    assert not AuditEvent.objects.filter(type="AUDIT_EXPORTED").exists()


def test_anonymous_is_sent_to_login(client, log):
    response = client.get(reverse(EXPORT), {"formato": "csv"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
