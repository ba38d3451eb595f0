"""Contact-base pages: mapping, progress and summary, rejects, segments, suppressions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from brief.campaigns.choices import AttachmentKind, Status
from brief.contacts import actions, importer
from brief.contacts.choices import BaseStatus, SuppressionChannel, SuppressionSource
from brief.contacts.models import Contact, ContactBase, SavedMapping, Segment, Suppression
from brief.core.models import AuditEvent
from tests.helpers import CUSTOM_CSV, attach_base

pytestmark = pytest.mark.django_db


def base_attachment(brief):
    return brief.attachments.get(kind=AttachmentKind.BASE)


def url(name: str, *args) -> str:
    return reverse(f"contacts:{name}", args=args)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- list and mapping ------------------------------------------------------------------


def test_base_list_offers_loading_to_the_provider_only(as_user, received, proveedor, auditor):
    # when the provider opens the brief's base page
    r = as_user(proveedor).get(url("base_list", received.code))
    # then it can pick the brief's base file
    assert r.status_code == 200
    assert r.context["can_import"] is True
    assert [a.original_name for a in r.context["attachments"]] == ["base.csv"]
    assert "Cargar base" in r.content.decode()
    # and the auditor only reads
    r = as_user(auditor).get(url("base_list", received.code))
    assert r.status_code == 200
    assert r.context["can_import"] is False
    assert 'name="adjunto"' not in r.content.decode()


def test_mapping_screen_shows_the_proposed_mapping(as_user, received, proveedor):
    attachment = base_attachment(received)
    r = as_user(proveedor).get(url("base_map", received.code), {"adjunto": attachment.pk})
    assert r.status_code == 200
    form = r.context["form"]
    proposed = {header: field.value() for header, field in form.rows()}
    assert proposed == {
        "documento": "doc_number",
        "nombres": "first_names",
        "apellidos": "last_names",
        "celular": "mobile",
        "correo": "email",
    }
    assert form["channels"].value() == ["sms", "email"]  # the brief's channels
    info = r.context["info"]
    assert (info["rows"], info["encoding"], info["delimiter"]) == (1, "utf-8", ",")
    body = r.content.decode()
    assert "Número de documento" in body
    assert "Campo adicional" in body
    assert "Ignorar" in body
    assert "1020304050" in body  # the preview
    assert AuditEvent.objects.filter(type="BASE_INSPECTED").count() == 1


def test_posting_a_changed_mapping_imports_with_it_and_remembers_it(
    as_user, received, proveedor, solicitante, django_capture_on_commit_callbacks
):
    # given a file whose phone column the synonyms do not know
    attachment = attach_base(received, solicitante, "contactos.csv", CUSTOM_CSV)
    client = as_user(proveedor)
    r = client.get(url("base_map", received.code), {"adjunto": attachment.pk})
    assert r.context["info"]["mapping"]["fono_contacto"] == "custom"
    assert r.context["info"]["saved"] is False
    # when the provider maps it to «Celular» and imports for SMS only
    data = {"adjunto": attachment.pk, "sheet": "", "channels": ["sms"]}
    for i, (_header, field) in enumerate(r.context["form"].rows()):
        data[f"col_{i}"] = field.value()
    data["col_2"] = "mobile"
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url("base_map", received.code), data)
    # then the import ran with that mapping and lands on its page
    base = ContactBase.objects.get()
    assert r.status_code == 302
    assert r["Location"] == url("base_detail", received.code, base.pk)
    assert base.status == BaseStatus.READY, base.error_message
    assert base.mapping["fono_contacto"] == "mobile"
    assert base.channels == ["sms"]
    assert base.summary["rows_total"] == 5
    assert base.summary["rows_usable"] == 3
    assert Contact.objects.get(doc_number="1020304051").mobile == "+573011234567"
    # and the area's mapping is reused next time, and said so
    assert SavedMapping.objects.filter(area=received.area).count() == 1
    r = client.get(url("base_map", received.code), {"adjunto": attachment.pk})
    assert r.context["info"]["saved"] is True
    assert r.context["form"]["col_2"].value() == "mobile"
    assert "Se reutiliza la asignación" in r.content.decode()


def test_a_field_mapped_twice_is_refused_in_spanish_and_nothing_starts(
    as_user, received, proveedor
):
    attachment = base_attachment(received)
    data = {
        "adjunto": attachment.pk,
        "channels": ["sms"],
        "col_0": "doc_number",
        "col_1": "doc_number",
        "col_2": "last_names",
        "col_3": "mobile",
        "col_4": "email",
    }
    r = as_user(proveedor).post(url("base_map", received.code), data)
    assert r.status_code == 400
    assert "asignado a 2 columnas" in r.content.decode()
    assert not ContactBase.objects.exists()
    # no channel chosen is refused too
    data.update(col_1="first_names", channels=[])
    r = as_user(proveedor).post(url("base_map", received.code), data)
    assert r.status_code == 400
    assert "Elija al menos un canal." in r.content.decode()
    assert not ContactBase.objects.exists()


def test_a_bad_file_gets_a_spanish_message_and_stores_nothing(
    as_user, received, proveedor, solicitante
):
    attachment = attach_base(received, solicitante, "vacia.csv", "documento,nombres\n")
    r = as_user(proveedor).get(
        url("base_map", received.code), {"adjunto": attachment.pk}, follow=True
    )
    assert r.redirect_chain[-1][0] == url("base_list", received.code)
    [message] = messages_of(r)
    assert message.startswith("No se puede cargar «vacia.csv»:")
    assert "encabezado" in message
    assert not ContactBase.objects.exists()


def test_a_brief_in_the_wrong_state_cannot_be_loaded(as_user, make_brief, proveedor):
    executing = make_brief(Status.EXECUTING)
    before = ContactBase.objects.count()  # the ready base load_base required
    r = as_user(proveedor).get(url("base_list", executing.code))
    assert r.context["can_import"] is False
    assert "no admite cargar la base" in r.content.decode()
    r = as_user(proveedor).post(
        url("base_map", executing.code),
        {"adjunto": base_attachment(executing).pk, "channels": ["sms"]},
        follow=True,
    )
    assert any("no admite cargar la base" in m for m in messages_of(r))
    assert ContactBase.objects.count() == before


# --- progress, summary, cancel, rejects ------------------------------------------------


def pending_base(brief, user, attachment=None) -> ContactBase:
    return ContactBase.objects.create(
        brief=brief,
        attachment=attachment or base_attachment(brief),
        source_name="base.csv",
        channels=["sms", "email"],
        created_by=user,
    )


def test_progress_partial_polls_with_percent_then_shows_the_summary(
    as_user, received, proveedor, solicitante
):
    # given an import halfway through
    attachment = attach_base(received, solicitante, "contactos.csv", CUSTOM_CSV)
    base = pending_base(received, proveedor, attachment)
    ContactBase.objects.filter(pk=base.pk).update(
        status=BaseStatus.IMPORTING, stage="Guardando contactos", progress=40
    )
    client = as_user(proveedor)
    # when the page polls its status block
    r = client.get(url("base_progress", received.code, base.pk), HTTP_HX_REQUEST="true")
    body = r.content.decode()
    # then it shows the stage and the percentage, and keeps polling every second
    assert r.status_code == 200
    assert "Guardando contactos" in body
    assert "40 %" in body
    assert 'aria-valuenow="40"' in body
    assert 'hx-trigger="every 1s"' in body
    assert "Cancelar importación" in body
    # when the import finishes
    ContactBase.objects.filter(pk=base.pk).update(status=BaseStatus.PENDING)
    assert importer.run_import(base.pk) == BaseStatus.READY
    r = client.get(url("base_progress", received.code, base.pk), HTTP_HX_REQUEST="true")
    body = r.content.decode()
    # then the block is the summary, with its charts, and polling stops
    assert "hx-trigger" not in body
    assert "Registros recibidos" in body
    assert "Registros depurados (usables)" in body
    assert r.context["summary"]["rows_total"] == 5
    # (no mapping given: «fono_contacto» is a custom field, so Luis has no contact at all)
    assert [n for _label, n in r.context["reject_rows"]] == [1, 1, 0, 1]
    assert body.count("<svg") == 2
    assert "Rechazados por motivo" in body
    assert "Usables por canal" in body
    for label in ("Teléfono inválido", "Solo teléfono fijo", "Correo inválido", "En el exterior"):
        assert label in body
    assert "utf-8" in body
    assert "coma ( , )" in body
    # and the full page shows the same
    r = client.get(url("base_detail", received.code, base.pk))
    assert r.status_code == 200
    assert "Resumen de calidad de la base" in r.content.decode()


def test_cancel_a_pending_import(as_user, received, proveedor):
    base = pending_base(received, proveedor)
    r = as_user(proveedor).post(url("base_cancel", received.code, base.pk))
    assert r.status_code == 302
    base.refresh_from_db()
    assert base.status == BaseStatus.CANCELLED
    assert AuditEvent.objects.filter(type="BASE_IMPORT_CANCEL_REQUESTED").count() == 1
    # the page then says so and offers to try again
    r = as_user(proveedor).get(url("base_detail", received.code, base.pk))
    body = r.content.decode()
    assert "Importación cancelada" in body
    assert "Volver a intentar" in body
    assert f"?adjunto={base.attachment_id}" in body


def test_cancel_from_htmx_returns_the_status_block_and_a_finished_one_is_refused(
    as_user, received, proveedor
):
    base = pending_base(received, proveedor)
    r = as_user(proveedor).post(url("base_cancel", received.code, base.pk), HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert "Importación cancelada" in r.content.decode()
    r = as_user(proveedor).post(url("base_cancel", received.code, base.pk), follow=True)
    assert "La importación ya terminó." in messages_of(r)


def test_a_failed_import_shows_its_spanish_error(as_user, received, proveedor, solicitante):
    attachment = attach_base(received, solicitante, "solo.csv", "documento,nombres\n")
    base = pending_base(received, proveedor, attachment)
    assert importer.run_import(base.pk) == BaseStatus.FAILED
    body = as_user(proveedor).get(url("base_detail", received.code, base.pk)).content.decode()
    assert "La importación falló" in body
    assert "encabezado" in body
    assert "Volver a intentar" in body


def test_rejects_downloads_are_logged_and_scoped(
    as_user, received, proveedor, solicitante, outsider, import_file
):
    attachment = attach_base(received, solicitante, "contactos.csv", CUSTOM_CSV)
    base = import_file(attachment, proveedor, mapping={"fono_contacto": "mobile"})
    client = as_user(proveedor)
    r = client.get(url("base_rejects", received.code, base.pk, "csv"))
    assert r.status_code == 200
    assert r["Content-Type"] == "text/csv"
    body = b"".join(r.streaming_content).decode()
    assert "Sin Documento" in body
    assert "Ana Duplicada" in body
    r = client.get(url("base_rejects", received.code, base.pk, "xlsx"))
    assert r.status_code == 200
    assert r.content[:2] == b"PK"
    assert "rechazados-" in r["Content-Disposition"]
    assert client.get(url("base_rejects", received.code, base.pk, "pdf")).status_code == 404
    events = AuditEvent.objects.filter(type="BASE_REJECTS_DOWNLOADED")
    assert events.count() == 2
    assert {e.actor_id for e in events} == {proveedor.pk}
    # someone of another area gets 403 and nothing is logged for them
    r = as_user(outsider).get(url("base_rejects", received.code, base.pk, "csv"))
    assert r.status_code == 403
    assert events.count() == 2


def test_outsider_gets_403_on_every_base_page(as_user, received, proveedor, outsider, import_file):
    base = import_file(base_attachment(received), proveedor)
    client = as_user(outsider)
    gets = [
        url("base_list", received.code),
        url("base_map", received.code) + f"?adjunto={base.attachment_id}",
        url("base_detail", received.code, base.pk),
        url("base_progress", received.code, base.pk),
        url("segments", received.code, base.pk),
    ]
    for page in gets:
        assert client.get(page).status_code == 403, page
    posts = [
        url("base_map", received.code),
        url("base_cancel", received.code, base.pk),
        url("segment_count", received.code, base.pk),
    ]
    for page in posts:
        assert client.post(page, {"adjunto": base.attachment_id}).status_code == 403, page
    assert not AuditEvent.objects.filter(actor=outsider).exists()


# --- segments --------------------------------------------------------------------------


def test_segments_count_live_and_save(
    as_user, received, proveedor, solicitante, analista, import_file
):
    attachment = attach_base(received, solicitante, "contactos.csv", CUSTOM_CSV)
    base = import_file(attachment, proveedor, mapping={"fono_contacto": "mobile"})
    actions.add_suppression(
        actor=analista, channel="all", value="3001234567", reason="Pidió no ser contactada"
    )
    client = as_user(proveedor)
    r = client.get(url("segments", received.code, base.pk))
    assert r.status_code == 200
    assert r.context["counts"]["total"] == 3
    assert r.context["cities"] == ["Bogotá", "Medellín"]
    assert r.context["form"].fields["custom_field"].choices == [("", "—"), ("plan", "plan")]
    # when the filters change, the counts come back for htmx
    r = client.post(
        url("segment_count", received.code, base.pk),
        {"city": "bogotá", "channel": "email"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    assert r.context["counts"] == {
        "total": 2,
        "sms": 2,
        "whatsapp": 2,
        "email": 2,
        "voice": 2,
        "call": 2,
        # the listed phone does not hold back e-mail, the segment's channel
        "suppressed": 0,
        "suppressed_by_channel": {"sms": 1, "whatsapp": 1, "email": 0, "voice": 1, "call": 1},
    }
    # the page shows the campaign's channels only
    assert r.context["channel_counts"] == [("SMS", 2), ("Correo electrónico", 2)]
    assert 'id="conteo-total">2<' in r.content.decode()
    r = client.post(
        url("segment_count", received.code, base.pk),
        {"custom_field": "plan", "custom_value": "plata"},
    )
    assert r.context["counts"]["total"] == 2
    r = client.post(url("segment_count", received.code, base.pk), {"custom_value": "plata"})
    assert "Elija el campo adicional del valor." in r.content.decode()
    # saving needs a name
    r = client.post(url("segments", received.code, base.pk), {"city": "Bogotá"})
    assert r.status_code == 400
    assert "Ponga un nombre al segmento." in r.content.decode()
    assert not Segment.objects.exists()
    # and then it is stored and listed with its counts
    r = client.post(
        url("segments", received.code, base.pk),
        {"city": "Bogotá", "abroad": "0", "name": "Bogotá"},
        follow=True,
    )
    assert "Segmento «Bogotá» guardado." in messages_of(r)
    segment = Segment.objects.get()
    assert segment.filters == {"city": "Bogotá", "abroad": False}
    [row] = r.context["saved"]
    assert row["counts"]["total"] == 2
    assert row["filters"] == ["Ciudad: Bogotá", "En Colombia"]
    # a repeated name is refused in Spanish
    r = client.post(url("segments", received.code, base.pk), {"name": "Bogotá"})
    assert r.status_code == 400
    assert "Ya existe un segmento con ese nombre" in r.content.decode()


def test_segments_of_a_base_not_ready_are_not_found(as_user, received, proveedor):
    base = pending_base(received, proveedor)
    assert as_user(proveedor).get(url("segments", received.code, base.pk)).status_code == 404


# --- suppression lists -----------------------------------------------------------------


def test_suppressions_add_and_validation_in_spanish(as_user, analista):
    client = as_user(analista)
    r = client.post(
        url("suppression_add"),
        {"channel": "sms", "value": "300 123 4567", "reason": "Llamó a pedirlo"},
        follow=True,
    )
    assert "+573001234567 excluido de: SMS." in messages_of(r)
    entry = Suppression.objects.get()
    assert (entry.channel, entry.value, entry.source) == ("sms", "+573001234567", "manual")
    # bad input: the form again with the reason in Spanish, nothing stored
    r = client.post(url("suppression_add"), {"channel": "sms", "value": "12", "reason": "x"})
    assert r.status_code == 400
    assert "«12» no es un teléfono válido." in r.content.decode()
    r = client.post(url("suppression_add"), {"channel": "sms", "value": "a@x.co", "reason": ""})
    assert r.status_code == 400
    assert "Indique el motivo de la exclusión." in r.content.decode()
    assert Suppression.objects.count() == 1
    # filters
    actions.add_suppression(actor=analista, channel="email", value="A@x.co", reason="Baja")
    r = client.get(url("suppressions"), {"channel": "email"})
    assert [s.value for s in r.context["page"].object_list] == ["a@x.co"]
    r = client.get(url("suppressions"), {"source": SuppressionSource.RNE})
    assert list(r.context["page"].object_list) == []


def test_suppressions_roles(as_user, auditor, solicitante, proveedor):
    assert as_user(solicitante).get(url("suppressions")).status_code == 403
    assert as_user(proveedor).get(url("suppressions")).status_code == 200
    r = as_user(auditor).get(url("suppressions"))
    assert r.status_code == 200
    assert r.context["can_write"] is False
    assert "Agregar exclusión manual" not in r.content.decode()
    r = as_user(auditor).post(
        url("suppression_add"), {"channel": "all", "value": "3001234567", "reason": "x"}
    )
    assert r.status_code == 403
    assert not Suppression.objects.exists()


def test_rne_upload_reports_rows_valid_and_added(as_user, proveedor):
    client = as_user(proveedor)
    rne = "numero\n3001234567\n+57 301 123 4567\nno-es-numero\n"
    r = client.post(
        url("suppression_rne"), {"file": SimpleUploadedFile("rne.csv", rne.encode())}, follow=True
    )
    assert "RNE cargado: 3 filas, 2 números válidos, 2 nuevos en la lista." in messages_of(r)
    # loading it again adds nothing
    r = client.post(
        url("suppression_rne"), {"file": SimpleUploadedFile("rne.csv", rne.encode())}, follow=True
    )
    assert "RNE cargado: 3 filas, 2 números válidos, 0 nuevos en la lista." in messages_of(r)
    assert set(Suppression.objects.values_list("value", "channel", "source")) == {
        ("+573001234567", SuppressionChannel.ALL, SuppressionSource.RNE),
        ("+573011234567", SuppressionChannel.ALL, SuppressionSource.RNE),
    }
    # no file, or an unreadable one, is refused in Spanish
    r = client.post(url("suppression_rne"), {})
    assert r.status_code == 400
    assert "Adjunte el archivo del RNE." in r.content.decode()
    r = client.post(url("suppression_rne"), {"file": SimpleUploadedFile("rne.csv", b"numero\n")})
    assert r.status_code == 400
    assert "encabezado" in r.content.decode()
    assert Suppression.objects.count() == 2


# --- navigation ------------------------------------------------------------------------


def test_only_the_longest_matching_nav_item_is_active(as_user, analista):
    r = as_user(analista).get(reverse("campaigns:board"))
    active = [item["label"] for item in r.context["nav_items"] if item["active"]]
    assert active == ["Tablero OCM"]
    labels = [item["label"] for item in r.context["nav_items"]]
    assert "Exclusiones" in labels
    assert "Historial del beneficiario" in labels
    r = as_user(analista).get(url("suppressions"))
    assert [i["label"] for i in r.context["nav_items"] if i["active"]] == ["Exclusiones"]


def test_brief_page_links_to_its_bases(as_user, received, proveedor, import_file):
    base = import_file(base_attachment(received), proveedor)
    r = as_user(proveedor).get(reverse("campaigns:brief_tab", args=[received.code, "base"]))
    body = r.content.decode()
    assert url("base_list", received.code) in body
    assert url("base_detail", received.code, base.pk) in body
    assert "Registros depurados" in body
    # and the list of imports shows it with its counts
    r = as_user(proveedor).get(url("base_list", received.code))
    body = r.content.decode()
    assert '<span class="badge ok">Lista</span>' in body
    assert r.context["bases"] == [(base, "ok")]
