"""The campaign report page, its downloads and the recipient-level registers."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from brief.core.models import AuditEvent
from brief.dispatch.models import Message
from tests.conftest import REPORT_FORMULA as FORMULA

pytestmark = pytest.mark.django_db


def _sheet(content: bytes) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return book.get_sheet_by_index(0).to_python()


def test_page_shows_the_report_with_charts_and_logs_the_read(client, reported, solicitante):
    brief, _sms, _email = reported
    client.force_login(solicitante)
    # when the area opens the report page
    r = client.get(reverse("reports:campaign", args=[brief.code]))
    # then it shows the title, the targets, the charts and the downloads
    assert r.status_code == 200
    page = r.content.decode()
    assert "Ficha Técnica de Resultados" in page
    assert 'id="metas"' in page
    assert "<svg" in page
    assert reverse("reports:campaign_download", args=[brief.code, "pdf"]) in page
    assert AuditEvent.objects.filter(type="REPORT_VIEWED", target_id=str(brief.pk)).exists()
    # and the brief page links to it
    detail = client.get(reverse("campaigns:brief_tab", args=[brief.code, "informe"]))
    assert reverse("reports:campaign", args=[brief.code]) in detail.content.decode()


def test_another_area_cannot_open_or_download(client, reported, outsider):
    brief, _sms, _email = reported
    client.force_login(outsider)
    for url in (
        reverse("reports:campaign", args=[brief.code]),
        reverse("reports:campaign_download", args=[brief.code, "xlsx"]),
        reverse("reports:register", args=[brief.code, "sent", "xlsx"]),
    ):
        assert client.get(url).status_code in (403, 404)
    assert not AuditEvent.objects.filter(type__startswith="REPORT_").exists()


def test_sent_register_has_every_message_and_escapes_formulas(client, reported, solicitante):
    brief, _sms, _email = reported
    # given a recipient whose name starts like a formula
    message = Message.objects.filter(sweep__brief=brief).select_related("contact").first()
    message.contact.full_name = "@SUM(1+1)"
    message.contact.save(update_fields=["full_name"])
    client.force_login(solicitante)
    # when the sent register is downloaded
    r = client.get(reverse("reports:register", args=[brief.code, "sent", "xlsx"]))
    rows = _sheet(b"".join(r.streaming_content))
    # then it has one row per stored message, with its status and the name made inert
    assert rows[0][:3] == ["barrido", "canal", "tipo_documento"]
    assert len(rows) - 1 == Message.objects.filter(sweep__brief=brief).count()
    assert "'@SUM(1+1)" in [row[4] for row in rows]
    read = Message.objects.filter(sweep__brief=brief, status="read").count()
    assert sum(1 for row in rows[1:] if row[6] == "Leído") == read
    # and the read register has the read ones (the brief asked for it)
    r = client.get(reverse("reports:register", args=[brief.code, "read", "xlsx"]))
    assert len(_sheet(b"".join(r.streaming_content))) - 1 == read
    # and the CSV register escapes too
    r = client.get(reverse("reports:register", args=[brief.code, "sent", "csv"]))
    assert "'@SUM(1+1)" in b"".join(r.streaming_content).decode("utf-8-sig")
    assert AuditEvent.objects.filter(type="REPORT_REGISTER_DOWNLOADED").count() == 3


def test_managed_base_has_each_contact_with_final_status(client, reported, solicitante):
    brief, _sms, email = reported
    client.force_login(solicitante)
    r = client.get(reverse("reports:register", args=[brief.code, "managed", "xlsx"]))
    rows = _sheet(b"".join(r.streaming_content))
    header = rows[0]
    assert header[-4:] == ["estado_final", "mensajes", "tipificacion", "observaciones"]
    from brief.contacts.models import ContactBase

    base = ContactBase.objects.current(brief)
    assert len(rows) - 1 == base.contacts.count()
    # the first contact: its latest message is the e-mail one; the formula observation is inert
    first = base.contacts.order_by("row").first()
    latest = Message.objects.filter(contact=first).order_by("-id").first()
    row = next(r for r in rows[1:] if r[2] == first.doc_number)
    assert row[header.index("estado_final")] == latest.get_status_display()
    assert row[header.index("mensajes")] == str(Message.objects.filter(contact=first).count())
    assert email.pk == latest.sweep_id


def test_report_xlsx_and_csv_downloads_escape_formulas(client, reported, solicitante):
    brief, _sms, _email = reported
    client.force_login(solicitante)
    xlsx = client.get(reverse("reports:campaign_download", args=[brief.code, "xlsx"]))
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content))
    cells = [c for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python()
             for c in row]  # fmt: skip
    assert "'" + FORMULA in cells
    assert FORMULA not in cells
    csv = client.get(reverse("reports:campaign_download", args=[brief.code, "csv"]))
    text = csv.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text
