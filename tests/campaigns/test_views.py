"""The brief pages: scoping per role, the F559 form, workflow buttons, downloads, the board."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from brief.campaigns import actions
from brief.campaigns.choices import Status
from brief.campaigns.models import Attachment, Brief, BriefTransition
from brief.core import sla
from brief.core.models import AuditEvent, SLAClock
from tests.helpers import BASE_CSV, brief_data, upload, valid_start

pytestmark = pytest.mark.django_db


def detail_url(brief) -> str:
    return reverse("campaigns:brief_detail", args=[brief.code])


def tab_url(brief, tab: str) -> str:
    """A tab of the brief page; without htmx it answers the whole page on that tab."""
    return reverse("campaigns:brief_tab", args=[brief.code, tab])


def action_url(brief, action: str) -> str:
    return reverse("campaigns:action", args=[brief.code, action])


def as_user(client, user):
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def form_data(**overrides) -> dict:
    start = valid_start()
    data = {
        "name": "Actualización de datos 2027-1",
        "objective": "Que los beneficiarios actualicen sus datos.",
        "description": "Campaña informativa.",
        "campaign_class": "servicio",
        "kind": "informativa",
        "channels": ["sms", "email"],
        "start_date": start.isoformat(),
        "end_date": (start + dt.timedelta(days=8)).isoformat(),
        "audience": "Beneficiarios con crédito activo.",
        "estimated_base_size": "1200",
        "sweeps_planned": "2",
        "content_sms": "Hola {nombres}, actualice sus datos.",
        "content_email": "",
        "target_contact_rate": "80",
    }
    data.update(overrides)
    return data


# --- scoping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees_detail", "sees_board"),
    [
        ("solicitante", True, False),
        ("jefe", True, False),
        ("comunicaciones", True, False),
        ("analista", True, True),
        ("lider", True, True),
        ("auditor", True, True),
        ("proveedor", True, False),
        ("asesor", True, False),
        ("outsider", False, False),
    ],
)
def test_pages_render_for_each_role_with_scoping(
    client, make_brief, request, who, sees_detail, sees_board
):
    # given a brief being executed by the provider
    brief = make_brief(Status.EXECUTING)
    user = request.getfixturevalue(who)
    if who == "asesor":  # an advisor sees the campaigns assigned to them
        brief.assignments.create(advisor=user, assigned_by=request.getfixturevalue("proveedor"))
    as_user(client, user)
    # when / then
    listing = client.get(reverse("campaigns:brief_list"))
    assert listing.status_code == 200
    assert (brief.code in listing.content.decode()) is sees_detail
    detail = client.get(tab_url(brief, "historial"))
    assert detail.status_code == (200 if sees_detail else 403)
    if sees_detail:
        assert "Línea de tiempo" in detail.content.decode()
    else:
        assert "no pertenece a su área" in detail.content.decode()
    assert client.get(reverse("campaigns:board")).status_code == (200 if sees_board else 403)
    assert client.get(reverse("campaigns:home_panels")).status_code == 200
    assert client.get(reverse("core:home")).status_code == 200


def test_list_shows_only_own_area_and_provider_sees_only_forwarded(
    client, make_brief, solicitante, outsider, proveedor
):
    # given a draft of each area and a forwarded brief
    own_draft = make_brief(Status.DRAFT)
    forwarded = make_brief(Status.FORWARDED, name="Remitida")
    other = actions.create_brief(actor=outsider, data=brief_data(name="Campaña de fondos"))
    # when the requester lists
    page = as_user(client, solicitante).get(reverse("campaigns:brief_list")).content.decode()
    # then only their area's briefs are there
    assert own_draft.code in page
    assert forwarded.code in page
    assert other.code not in page
    # and the outsider sees only its own
    page = as_user(client, outsider).get(reverse("campaigns:brief_list")).content.decode()
    assert other.code in page
    assert own_draft.code not in page
    # and the provider only what was forwarded to it
    page = as_user(client, proveedor).get(reverse("campaigns:brief_list")).content.decode()
    assert forwarded.code in page
    assert own_draft.code not in page
    assert other.code not in page


def test_list_filters_and_htmx_partial(client, make_brief, analista):
    # given a draft and a submitted brief with different channels
    draft = make_brief(Status.DRAFT, channels=["whatsapp"], name="Solo WhatsApp")
    submitted = make_brief(Status.SUBMITTED)
    client = as_user(client, analista)
    # when filtering by status
    page = client.get(reverse("campaigns:brief_list"), {"status": "submitted"})
    assert submitted.code in page.content.decode()
    assert draft.code not in page.content.decode()
    # by channel, through htmx: only the rows come back
    page = client.get(
        reverse("campaigns:brief_list"), {"channel": "whatsapp"}, headers={"HX-Request": "true"}
    )
    body = page.content.decode()
    assert draft.code in body
    assert submitted.code not in body
    assert "<html" not in body
    # a filter that matches nothing shows the empty state
    page = client.get(reverse("campaigns:brief_list"), {"q": "no existe"})
    assert page.status_code == 200
    assert "Ningún brief coincide con los filtros." in page.content.decode()
    # a bad date is shown as an error (not a 500, not silently dropped) and nothing is listed
    page = client.get(reverse("campaigns:brief_list"), {"desde": "31/02/x"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "«Inicio desde» no es una fecha válida (AAAA-MM-DD)." in body
    assert draft.code not in body


# --- the F559 form ---------------------------------------------------------------------


def test_create_draft_via_form(client, solicitante):
    # when the requester saves the form
    response = as_user(client, solicitante).post(
        reverse("campaigns:brief_create"), form_data(), follow=True
    )
    # then a draft exists with the F559 values, and the page says so
    brief = Brief.objects.get()
    assert response.redirect_chain[-1][0] == detail_url(brief)
    assert brief.status == Status.DRAFT
    assert brief.area == solicitante.area
    assert brief.channels == ["sms", "email"]
    assert brief.content == {"sms": "Hola {nombres}, actualice sus datos."}
    assert brief.sweeps_planned == 2
    assert brief.estimated_base_size == 1200
    assert f"Borrador {brief.code} guardado." in messages_of(response)
    assert AuditEvent.objects.filter(type="BRIEF_CREATED").count() == 1


def test_a_draft_needs_only_a_name(client, solicitante):
    response = as_user(client, solicitante).post(
        reverse("campaigns:brief_create"), {"name": "Idea", "sweeps_planned": "1"}
    )
    assert response.status_code == 302
    brief = Brief.objects.get()
    assert (brief.name, brief.channels, brief.content, brief.start_date) == ("Idea", [], {}, None)


def test_invalid_form_shows_spanish_errors_and_stores_nothing(client, solicitante):
    # given a form without name, with the end before the start and an unknown channel
    start = valid_start()
    data = form_data(
        name="",
        end_date=(start - dt.timedelta(days=1)).isoformat(),
        channels=["sms", "fax"],
        target_contact_rate="150",
    )
    # when it is saved
    response = as_user(client, solicitante).post(reverse("campaigns:brief_create"), data)
    # then the page comes back with the errors in Spanish and nothing is stored
    assert response.status_code == 400
    body = response.content.decode()
    assert "Escriba el nombre de la campaña." in body
    assert "La fecha de fin no puede ser anterior a la de inicio." in body
    assert "Escoja una opción válida" in body
    assert "menor o igual a 100" in body
    assert Brief.objects.count() == 0
    assert not AuditEvent.objects.filter(type__startswith="BRIEF_").exists()


def test_only_area_users_create_briefs(client, analista):
    response = as_user(client, analista).get(reverse("campaigns:brief_create"))
    assert response.status_code == 403
    response = client.post(reverse("campaigns:brief_create"), form_data())
    assert response.status_code == 403
    assert Brief.objects.count() == 0


def test_edit_a_draft_and_refuse_outside_draft(client, make_brief, solicitante, outsider):
    draft = make_brief(Status.DRAFT)
    url = reverse("campaigns:brief_edit", args=[draft.code])
    # the form comes filled with the draft
    page = as_user(client, solicitante).get(url)
    assert page.status_code == 200
    assert 'value="Actualización de datos 2027-1"' in page.content.decode()
    # saving changes it
    response = client.post(url, form_data(name="Nuevo nombre", channels=["email"]), follow=True)
    draft.refresh_from_db()
    assert (draft.name, draft.channels) == ("Nuevo nombre", ["email"])
    assert f"Cambios del brief {draft.code} guardados." in messages_of(response)
    # another area may not edit it
    assert as_user(client, outsider).post(url, form_data(name="X")).status_code == 403
    # a submitted brief cannot be edited
    submitted = make_brief(Status.SUBMITTED)
    response = as_user(client, solicitante).post(
        reverse("campaigns:brief_edit", args=[submitted.code]), form_data(name="Y"), follow=True
    )
    submitted.refresh_from_db()
    assert submitted.name == "Actualización de datos 2027-1"
    assert f"El brief {submitted.code} está «Radicado» y no se puede editar." in messages_of(
        response
    )


# --- workflow buttons ------------------------------------------------------------------


def test_run_an_action_via_the_view(client, make_brief, solicitante):
    # given a complete draft
    brief = make_brief(Status.DRAFT)
    page = as_user(client, solicitante).get(detail_url(brief)).content.decode()
    assert action_url(brief, "submit") in page
    assert "Para radicar falta" not in page
    # when the requester submits it from its button
    response = client.post(action_url(brief, "submit"), {"note": "Listo"}, follow=True)
    # then it moved, with a Spanish success message and the PDF of version 1
    brief.refresh_from_db()
    assert brief.status == Status.SUBMITTED
    assert "«Radicar» registrado: el brief" in messages_of(response)[0]
    assert "quedó «Radicado»" in messages_of(response)[0]
    assert "Verificación del brief por OCM" in response.content.decode()  # its SLA clock
    body = client.get(tab_url(brief, "historial")).content.decode()
    assert reverse("campaigns:f559_pdf", args=[brief.code, 1]) in body


def test_forbidden_action_via_the_view_is_403_and_changes_nothing(
    client, make_brief, comunicaciones, proveedor
):
    brief = make_brief(Status.SUBMITTED)
    before = (BriefTransition.objects.count(), AuditEvent.objects.count())
    # communications can read the brief but not verify it
    response = as_user(client, comunicaciones).post(action_url(brief, "start_review"))
    assert response.status_code == 403
    assert "Su rol no permite" in response.content.decode()
    # the provider cannot even see a brief not forwarded to it
    response = as_user(client, proveedor).post(action_url(brief, "start_review"))
    assert response.status_code == 403
    brief.refresh_from_db()
    assert brief.status == Status.SUBMITTED
    assert (BriefTransition.objects.count(), AuditEvent.objects.count()) == before


def test_wrong_state_action_shows_a_spanish_error(client, make_brief, analista):
    brief = make_brief(Status.SUBMITTED)
    response = as_user(client, analista).post(action_url(brief, "forward"), {"note": ""})
    assert response.status_code == 409
    assert (
        "No se puede «remitir al proveedor» un brief en estado «Radicado»."
        in response.content.decode()
    )
    brief.refresh_from_db()
    assert brief.status == Status.SUBMITTED
    assert not BriefTransition.objects.filter(brief=brief, action="forward").exists()


def test_unknown_action_is_404(client, make_brief, analista):
    brief = make_brief(Status.SUBMITTED)
    assert as_user(client, analista).post(action_url(brief, "explode")).status_code == 404


def test_submit_with_missing_items_lists_them_and_refuses(client, solicitante):
    # given a draft without base, approvals or dates
    brief = actions.create_brief(actor=solicitante, data={"name": "Incompleto"})
    page = as_user(client, solicitante).get(detail_url(brief)).content.decode()
    # then the page lists what is missing before the button
    assert "Para radicar falta:" in page
    assert "Adjunte la base de datos de contactos." in page
    assert "Falta el aval del jefe inmediato." in page
    # and submitting shows the same reasons and changes nothing
    response = client.post(action_url(brief, "submit"))
    assert response.status_code == 400
    errors = messages_of(response)
    assert errors[0] == "El brief no se puede radicar todavía."
    assert "Falta la fecha de inicio." in errors
    brief.refresh_from_db()
    assert brief.status == Status.DRAFT


def test_return_with_checklist_and_reasons(client, make_brief, analista):
    brief = make_brief(Status.IN_REVIEW)
    client = as_user(client, analista)
    checks = {
        "check_fields_complete": "on",
        "check_script": "on",
        "check_approvals": "on",
        "check_lead_time": "on",
    }
    # without reasons: refused with the Spanish message, nothing changes
    response = client.post(action_url(brief, "return"), {**checks, "note": " "})
    assert response.status_code == 400
    assert "Escriba los motivos de la devolución." in response.content.decode()
    # with every item checked: the checklist must show a failure
    response = client.post(
        action_url(brief, "return"), {**checks, "check_base_quality": "on", "note": "x"}
    )
    assert response.status_code == 400
    assert "Marque al menos un ítem" in response.content.decode()
    brief.refresh_from_db()
    assert brief.status == Status.IN_REVIEW
    # with the base unchecked and reasons: returned, and the timeline shows the failure
    response = client.post(
        action_url(brief, "return"), {**checks, "note": "La base trae duplicados."}, follow=True
    )
    brief.refresh_from_db()
    assert brief.status == Status.RETURNED
    transition = brief.transitions.get(action="return")
    assert transition.details["failed"] == ["base_quality"]
    body = response.content.decode()
    assert "No cumple: Calidad de la base de datos" in body
    assert "La base trae duplicados." in body


def test_forward_with_provider_select(client, make_brief, analista, provider_org):
    brief = make_brief(Status.IN_REVIEW)
    page = as_user(client, analista).get(detail_url(brief)).content.decode()
    assert f'<option value="{provider_org.code}"' in page
    response = client.post(action_url(brief, "forward"), {"provider": "nadie", "note": ""})
    assert response.status_code == 400
    assert "Elija un proveedor activo." in response.content.decode()
    client.post(action_url(brief, "forward"), {"provider": provider_org.code, "note": "SFTP"})
    brief.refresh_from_db()
    assert (brief.status, brief.provider) == (Status.FORWARDED, provider_org)


def test_approvals_via_the_view(client, solicitante, jefe, comunicaciones, outsider):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    boss = reverse("campaigns:approve", args=[brief.code, "boss"])
    # the requester has no approval button and may not approve
    page = as_user(client, solicitante).get(detail_url(brief)).content.decode()
    assert f'action="{boss}"' not in page
    assert client.post(boss).status_code == 403
    # the boss has it, and gives it
    assert f'action="{boss}"' in as_user(client, jefe).get(detail_url(brief)).content.decode()
    response = client.post(boss, follow=True)
    assert "Aval del jefe inmediato registrado." in messages_of(response)
    # twice is a Spanish conflict message, not an error page
    response = client.post(boss, follow=True)
    assert "El brief ya tiene el aval del jefe inmediato." in messages_of(response)
    comms = reverse("campaigns:approve", args=[brief.code, "comms"])
    as_user(client, comunicaciones).post(comms)
    brief.refresh_from_db()
    assert (brief.boss_approved_by, brief.comms_approved_by) == (jefe, comunicaciones)
    assert client.post(reverse("campaigns:approve", args=[brief.code, "nada"])).status_code == 404


# --- attachments and downloads ---------------------------------------------------------


def test_upload_via_the_view(client, solicitante):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    url = reverse("campaigns:attachment_upload", args=[brief.code])
    client = as_user(client, solicitante)
    # a binary renamed .csv is refused in Spanish and nothing is stored
    response = client.post(url, {"kind": "base", "file": upload("base.csv", b"PK\x03\x04xx")})
    assert response.status_code == 400
    assert "parece un archivo binario renombrado" in response.content.decode()
    assert Attachment.objects.count() == 0
    # no file at all
    response = client.post(url, {"kind": "base"})
    assert response.status_code == 400
    assert "Elija el archivo." in response.content.decode()
    # a CSV base is stored with its SHA-256, which the message does not show
    response = client.post(url, {"kind": "base", "file": upload("base.csv", BASE_CSV)}, follow=True)
    attachment = Attachment.objects.get()
    assert attachment.original_name == "base.csv"
    assert messages_of(response)[0] == "Adjunto «base.csv» guardado (Base de datos, v1)."
    assert attachment.sha256 in response.content.decode()  # inside «Verificar integridad»


def test_download_is_audit_logged_and_scoped(client, make_brief, solicitante, outsider):
    brief = make_brief(Status.SUBMITTED)
    attachment = brief.attachments.get(kind="base")
    url = reverse("campaigns:attachment_download", args=[brief.code, attachment.pk])
    # the outsider gets 403 and no download is logged
    assert as_user(client, outsider).get(url).status_code == 403
    assert not AuditEvent.objects.filter(type="BASE_DOWNLOADED").exists()
    # the requester gets the file with its original name
    response = as_user(client, solicitante).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="base.csv"'
    assert b"".join(response.streaming_content).decode() == BASE_CSV
    events = AuditEvent.objects.filter(type="BASE_DOWNLOADED")
    assert [(e.actor_label, e.details["name"]) for e in events] == [("solicitante", "base.csv")]
    # the F559 PDF too
    pdf_url = reverse("campaigns:f559_pdf", args=[brief.code, 1])
    assert as_user(client, outsider).get(pdf_url).status_code == 403
    response = as_user(client, solicitante).get(pdf_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    events = AuditEvent.objects.filter(type="F559_DOWNLOADED")
    assert [(e.actor_label, e.details["version"]) for e in events] == [("solicitante", 1)]
    assert client.get(reverse("campaigns:f559_pdf", args=[brief.code, 9])).status_code == 404


# --- questions -------------------------------------------------------------------------


def test_provider_asks_and_ocm_answers(client, make_brief, proveedor, analista):
    brief = make_brief(Status.BASE_LOADED)
    ask = reverse("campaigns:question_ask", args=[brief.code])
    response = as_user(client, proveedor).post(ask, {"text": ""})
    assert response.status_code == 400
    assert "Escriba la pregunta." in response.content.decode()
    response = client.post(ask, {"text": "¿La base trae el indicativo?"}, follow=True)
    assert "Pregunta enviada" in messages_of(response)[0]
    assert "ANS: en curso" in response.content.decode()
    question = brief.questions.get()
    answer = reverse("campaigns:question_answer", args=[brief.code, question.pk])
    response = as_user(client, analista).post(answer, {"answer": "Sí, +57."}, follow=True)
    question.refresh_from_db()
    assert question.answer == "Sí, +57."
    assert "ANS: a tiempo" in response.content.decode()
    # a second answer is a Spanish conflict, not a 500
    response = client.post(answer, {"answer": "Otra"})
    assert response.status_code == 409
    assert "La pregunta ya fue respondida." in response.content.decode()


# --- the board -------------------------------------------------------------------------


def test_board_orders_overdue_first_then_due_soon_and_shows_vencido(client, make_brief, analista):
    # given three submitted briefs, created in this order
    first = make_brief(Status.SUBMITTED, name="Primera")
    second = make_brief(Status.SUBMITTED, name="Segunda")
    third = make_brief(Status.SUBMITTED, name="Tercera")
    now = timezone.now()
    ctype = ContentType.objects.get_for_model(Brief)

    def clock(brief):
        return SLAClock.objects.filter(subject_type=ctype, subject_id=brief.pk)

    # the oldest is overdue (marked by the periodic scan), the newest falls due in 2 hours
    clock(first).update(due_at=now - dt.timedelta(hours=1))
    clock(second).update(due_at=now + dt.timedelta(days=2))
    clock(third).update(due_at=now + dt.timedelta(hours=2))
    assert sla.scan_breaches(now=now) == 1
    # when OCM opens the board
    response = as_user(client, analista).get(reverse("campaigns:board"))
    body = response.content.decode()
    # then overdue comes first, then the nearest due time
    positions = [body.index(b.code) for b in (first, third, second)]
    assert positions == sorted(positions)
    assert body.count(">Vencido<") == 1
    groups = response.context["groups"]
    assert [g["status"] for g in groups] == [Status.SUBMITTED]
    assert [b.code for b in groups[0]["items"]] == [first.code, third.code, second.code]
    assert response.context["overdue"] == 1
    # and the filters narrow it (htmx partial)
    response = client.get(
        reverse("campaigns:board"), {"q": "Segunda"}, headers={"HX-Request": "true"}
    )
    assert [b.code for g in response.context["groups"] for b in g["items"]] == [second.code]


def test_board_counts_every_brief_and_pages_the_rows(client, make_brief, analista, monkeypatch):
    # given four open briefs, one of them overdue, and a board that shows two a page
    from brief.campaigns import views

    monkeypatch.setattr(views, "BOARD_PAGE_SIZE", 2)
    late = make_brief(Status.SUBMITTED, name="Vencida")
    rest = [make_brief(status) for status in (Status.SUBMITTED, Status.FORWARDED, Status.DRAFT)]
    ctype = ContentType.objects.get_for_model(Brief)
    SLAClock.objects.filter(subject_type=ctype, subject_id=late.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=1)
    )
    client = as_user(client, analista)
    # when OCM opens the board
    response = client.get(reverse("campaigns:board"))
    # then the counts are of all four, the rows the two most urgent, on page 1 of 2
    context = response.context
    assert (context["total"], context["shown"], context["page"], context["pages"]) == (4, 2, 1, 2)
    assert context["overdue"] == 1
    groups = {g["status"]: g for g in context["groups"]}
    assert (groups[Status.SUBMITTED]["count"], groups[Status.SUBMITTED]["overdue"]) == (2, 1)
    assert sum(g["count"] for g in groups.values()) == 4
    first = [b.code for g in context["groups"] for b in g["items"]]
    assert first[0] == late.code
    assert "Página 1 de 2" in response.content.decode()
    # and page 2 holds the other two (and a page past the end is the last)
    second = client.get(reverse("campaigns:board"), {"page": "2"}).context
    listed = first + [b.code for g in second["groups"] for b in g["items"]]
    assert sorted(listed) == sorted([late.code, *(b.code for b in rest)])
    last = client.get(reverse("campaigns:board"), {"page": "9"}).context
    assert last["page"] == 2


def test_board_hides_closed_briefs_unless_asked(client, make_brief, analista):
    accepted = make_brief(Status.ACCEPTED)
    client = as_user(client, analista)
    assert accepted.code not in client.get(reverse("campaigns:board")).content.decode()
    page = client.get(reverse("campaigns:board"), {"cerrados": "1"}).content.decode()
    assert accepted.code in page


def test_detail_of_an_accepted_brief_shows_clocks_and_timeline(client, make_brief, solicitante):
    brief = make_brief(Status.ACCEPTED)
    response = as_user(client, solicitante).get(tab_url(brief, "historial"))
    body = response.content.decode()
    timeline = response.context["timeline"]
    assert len([e for e in timeline if "t" in e]) == 10
    assert [e["what"] for e in timeline if "approval" in e] == [
        "Aval del jefe inmediato",
        "Aval de comunicaciones",
    ]
    for label in ("Radicar", "Remitir al proveedor", "Aprobar salida", "Aceptar"):
        assert f"<strong>{label}</strong>" in body
    assert "a tiempo" in body
    assert "Brief aceptado: el proceso terminó." in body


# --- home and demo ---------------------------------------------------------------------


def test_home_panels_show_what_is_pending_for_each_role(
    client, solicitante, jefe, comunicaciones, make_brief
):
    brief = actions.create_brief(actor=solicitante, data=brief_data())
    page = as_user(client, jefe).get(reverse("campaigns:home_panels")).content.decode()
    assert brief.code in page
    assert "Dar aval del jefe inmediato" in page
    page = as_user(client, comunicaciones).get(reverse("campaigns:home_panels")).content.decode()
    assert "Dar aval de comunicaciones" in page
    page = as_user(client, solicitante).get(reverse("campaigns:home_panels")).content.decode()
    assert "Briefs abiertos de mi área" in page
    assert "Radicar" in page


def test_a_brief_abroad_without_whatsapp_or_email_is_refused_by_the_form(client, solicitante):
    # given a brief that includes beneficiaries abroad but offers only SMS
    data = form_data(includes_abroad="on", channels=["sms"])
    # when it is saved
    response = as_user(client, solicitante).post(reverse("campaigns:brief_create"), data)
    # then the channels field says why, and nothing is stored
    assert response.status_code == 400
    assert response.context["form"].errors["channels"] == [
        "La campaña incluye beneficiarios en el exterior, que solo se contactan por WhatsApp "
        "o correo electrónico: elija al menos uno de esos canales."
    ]
    assert Brief.objects.count() == 0
    # and with e-mail among the channels it is saved
    data["channels"] = ["sms", "email"]
    assert as_user(client, solicitante).post(reverse("campaigns:brief_create"), data).status_code
    assert Brief.objects.get().includes_abroad is True
