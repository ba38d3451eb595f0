"""The whole brief path through the API, and every refusal on the way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from brief.campaigns.choices import Status
from brief.campaigns.models import Brief, BriefTransition, BriefVersion
from brief.core.models import AuditEvent, SLAClock
from tests.helpers import BASE_CSV, brief_data, meet_checks, upload


def iso(data):
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()}


def post_action(api, user, code, action, **payload):
    return api.as_user(user).post(f"/api/v1/briefs/{code}/{action}/", payload, format="json")


def test_whole_path_draft_to_accepted_through_the_api(
    api,
    solicitante,
    jefe,
    comunicaciones,
    analista,
    proveedor,
    provider_org,
    django_capture_on_commit_callbacks,
):
    # given a draft created by the requester
    response = api.as_user(solicitante).post("/api/v1/briefs/", iso(brief_data()), format="json")
    assert response.status_code == 201, response.json()
    code = response.json()["code"]
    assert code.startswith("BRF-")
    assert response.json()["status"] == "draft"
    # with its base and both approvals
    r = api.as_user(solicitante).post(
        f"/api/v1/briefs/{code}/attachments/",
        {"kind": "base", "file": upload("base.csv", BASE_CSV)},
        format="multipart",
    )
    assert r.status_code == 201, r.json()
    assert len(r.json()["sha256"]) == 64
    assert api.as_user(jefe).post(f"/api/v1/briefs/{code}/approvals/boss/").status_code == 200
    assert (
        api.as_user(comunicaciones).post(f"/api/v1/briefs/{code}/approvals/comms/").status_code
        == 200
    )

    steps = [
        (solicitante, "submit", {}, "submitted"),
        (analista, "start_review", {}, "in_review"),
        (analista, "forward", {"note": "Base por SFTP"}, "forwarded"),
        (proveedor, "receive", {}, "received"),
        (proveedor, "load_base", {}, "base_loaded"),
        (proveedor, "request_exit", {}, "awaiting_exit_approval"),
        (solicitante, "approve_exit", {}, "executing"),
        (proveedor, "deliver_results", {}, "results_review"),
        (analista, "send_results", {}, "results_sent"),
        (solicitante, "accept", {"note": "Recibido a satisfacción"}, "accepted"),
    ]
    for user, action, payload, expected in steps:
        if action == "deliver_results":
            r = api.as_user(proveedor).post(
                f"/api/v1/briefs/{code}/attachments/",
                {"kind": "report", "file": upload("informe.csv", "enviados,1\n")},
                format="multipart",
            )
            assert r.status_code == 201, r.json()
        # the base, templates and sweep each step's checks ask for (tested in test_guards)
        meet_checks(Brief.objects.get(code=code), action, proveedor)
        with django_capture_on_commit_callbacks(execute=True):
            response = post_action(api, user, code, action, **payload)
        assert response.status_code == 200, (action, response.json())
        assert response.json()["status"] == expected

    # then the timeline shows every move, in order, with who did it
    timeline = api.as_user(analista).get(f"/api/v1/briefs/{code}/timeline/").json()
    assert [t["to_status"] for t in timeline["transitions"]] == [s[3] for s in steps]
    assert timeline["transitions"][2]["note"] == "Base por SFTP"
    assert timeline["transitions"][3]["actor"] == "proveedor"
    # the SMS/e-mail execution clock started at forward and stopped at delivery
    clocks = {c["rule"]: c for c in timeline["clocks"]}
    assert clocks["sms-email-ejecucion"]["state"] == "met"
    assert clocks["verificacion-ocm"]["state"] == "met"
    assert "whatsapp-total-informativa" not in clocks
    # the F559 PDF was generated at submission
    version = BriefVersion.objects.get(brief__code=code)
    assert version.pdf.read(4) == b"%PDF"
    assert len(version.pdf_sha256) == 64
    # notifications went to the next actors (the provider when forwarded)
    subjects = [(m.subject, m.to) for m in mail.outbox]
    assert (f"[Brief] {code} · Remitido al proveedor", ["proveedor@brief.example"]) in subjects
    assert (
        AuditEvent.objects.filter(
            type="BRIEF_ACCEPTED", target_id=str(Brief.objects.get(code=code).pk)
        ).count()
        == 1
    )


def test_submit_refused_with_each_missing_item(api, solicitante):
    # given a draft with nothing attached and no approvals, class comercial, voice channel
    data = brief_data(campaign_class="comercial", channels=["voice"], objective="")
    code = api.as_user(solicitante).post("/api/v1/briefs/", iso(data), format="json").json()["code"]
    # when submitting
    response = post_action(api, solicitante, code, "submit")
    # then 400 listing every missing item, and nothing changed
    assert response.status_code == 400
    codes = {e["code"] for e in response.json()["errors"]}
    assert codes == {
        "required",
        "missing_base",
        "missing_script",
        "missing_comms_approval",
        "missing_boss_approval",
        "missing_leader_authorization",
    }
    assert Brief.objects.get(code=code).status == Status.DRAFT
    assert not BriefTransition.objects.exists()


def test_submit_refuses_a_brief_abroad_without_whatsapp_or_email(api, make_brief, solicitante):
    # given a complete draft that includes beneficiaries abroad, by SMS and voice message
    brief = make_brief(Status.DRAFT, includes_abroad=True, channels=["sms", "voice"])
    # when it is submitted
    response = post_action(api, solicitante, brief.code, "submit")
    # then 400 on the channels with the rule in Spanish, and the draft stays a draft
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "abroad_channels",
            "message": "La campaña incluye beneficiarios en el exterior, que solo se contactan "
            "por WhatsApp o correo electrónico: elija al menos uno de esos canales.",
            "field": "channels",
        }
    ]
    assert Brief.objects.get(pk=brief.pk).status == Status.DRAFT
    # with WhatsApp among its channels it is submitted
    r = api.as_user(solicitante).patch(
        f"/api/v1/briefs/{brief.code}/", {"channels": ["sms", "whatsapp"]}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert post_action(api, solicitante, brief.code, "submit").json()["status"] == "submitted"


def test_lead_time_counts_colombian_business_days(make_brief, solicitante):
    from brief.campaigns import actions
    from brief.core.calendar import BOGOTA
    from brief.core.exceptions import Invalid

    friday = dt.datetime(2026, 12, 4, 10, 0, tzinfo=BOGOTA)
    # a start on Wednesday 9 Dec is refused (8 Dec is a holiday)
    brief = make_brief(
        Status.DRAFT, start_date=dt.date(2026, 12, 9), end_date=dt.date(2026, 12, 18)
    )
    with pytest.raises(Invalid) as refused:
        actions.perform(brief, "submit", actor=solicitante, at=friday)
    assert [e["code"] for e in refused.value.errors] == ["lead_time"]
    assert "10/12/2026" in refused.value.errors[0]["message"]
    brief.refresh_from_db()
    assert brief.status == Status.DRAFT
    # one for Thursday 10 Dec is accepted
    actions.update_brief(brief, actor=solicitante, data={"start_date": dt.date(2026, 12, 10)})
    transition = actions.perform(brief, "submit", actor=solicitante, at=friday)
    assert transition.to_status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("who", "action", "status_code"),
    [
        ("proveedor", "start_review", 403),  # wrong role
        ("solicitante", "forward", 403),  # wrong role
        ("outsider", "submit", 403),  # another area
        ("analista", "receive", 403),  # only the provider receives
        ("analista", "forward", 409),  # wrong state: still submitted, not in review
        ("solicitante", "accept", 409),  # wrong state
    ],
)
def test_forbidden_moves_answer_403_or_409_and_change_nothing(
    api, make_brief, request, who, action, status_code
):
    brief = make_brief(Status.SUBMITTED)
    user = request.getfixturevalue(who)
    before = (BriefTransition.objects.count(), AuditEvent.objects.count())
    response = post_action(api, user, brief.code, action)
    assert response.status_code == status_code
    assert response.json()["errors"][0]["message"]
    brief.refresh_from_db()
    assert brief.status == Status.SUBMITTED
    assert (BriefTransition.objects.count(), AuditEvent.objects.count()) == before


def test_other_area_cannot_list_or_read_and_provider_sees_only_forwarded(
    api, make_brief, outsider, proveedor
):
    draft = make_brief(Status.DRAFT)
    forwarded = make_brief(Status.FORWARDED)
    assert api.as_user(outsider).get("/api/v1/briefs/").json()["count"] == 0
    assert api.as_user(outsider).get(f"/api/v1/briefs/{draft.code}/").status_code == 403
    listed = [b["code"] for b in api.as_user(proveedor).get("/api/v1/briefs/").json()["results"]]
    assert listed == [forwarded.code]
    assert api.as_user(proveedor).get(f"/api/v1/briefs/{draft.code}/").status_code == 403


def test_return_needs_checklist_and_reasons_then_resubmit_is_new_version(
    api, make_brief, analista, solicitante
):
    brief = make_brief(Status.IN_REVIEW)
    # reasons without a failed item are refused
    r = post_action(api, analista, brief.code, "return", note="Falta algo", checklist={})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "checklist"
    r = post_action(api, analista, brief.code, "return", checklist={"base_quality": False})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "note"
    # a proper return
    r = post_action(
        api,
        analista,
        brief.code,
        "return",
        note="La base trae 30 % sin celular",
        checklist={"base_quality": False, "fields_complete": True},
    )
    assert r.status_code == 200
    assert r.json()["transition"]["details"]["failed"] == ["base_quality"]
    # the area edits and resubmits: version 2, with the change listed
    r = api.as_user(solicitante).patch(
        f"/api/v1/briefs/{brief.code}/",
        {"audience": "Solo beneficiarios con celular"},
        format="json",
    )
    assert r.status_code == 200
    r = post_action(api, solicitante, brief.code, "submit")
    assert r.status_code == 200
    assert r.json()["version"] == 2
    versions = (
        api.as_user(analista).get(f"/api/v1/briefs/{brief.code}/timeline/").json()["versions"]
    )
    assert versions[0]["from"] == 1
    assert versions[0]["to"] == 2
    assert [c["field"] for c in versions[0]["changes"]] == ["audience"]


def test_edit_refused_outside_draft_or_returned(api, make_brief, solicitante):
    brief = make_brief(Status.SUBMITTED)
    r = api.as_user(solicitante).patch(
        f"/api/v1/briefs/{brief.code}/", {"name": "Otro"}, format="json"
    )
    assert r.status_code == 409
    brief.refresh_from_db()
    assert brief.name == "Actualización de datos 2027-1"


def test_bad_input_gets_structured_400(api, solicitante):
    r = api.as_user(solicitante).post(
        "/api/v1/briefs/", {"name": "x", "channels": ["fax"], "start_date": "mañana"}, format="json"
    )
    assert r.status_code == 400
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"channels", "start_date"} <= fields
    assert not Brief.objects.exists()


def test_attachment_rejects_binary_renamed_csv_and_bad_extension(api, make_brief, solicitante):
    brief = make_brief(Status.DRAFT)
    r = api.as_user(solicitante).post(
        f"/api/v1/briefs/{brief.code}/attachments/",
        {"kind": "base", "file": upload("base.csv", b"MZ\x90\x00\x03binary")},
        format="multipart",
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "bad_content"
    r = api.as_user(solicitante).post(
        f"/api/v1/briefs/{brief.code}/attachments/",
        {"kind": "base", "file": upload("base.exe", b"hola")},
        format="multipart",
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "invalid_extension"
    assert brief.attachments.count() == 1  # only the fixture's base


def test_provider_questions_with_one_day_clock(api, make_brief, proveedor, analista):
    brief = make_brief(Status.RECEIVED)
    r = api.as_user(proveedor).post(
        f"/api/v1/briefs/{brief.code}/questions/",
        {"text": "¿Se excluyen los fallecidos?"},
        format="json",
    )
    assert r.status_code == 201
    qid = r.json()["id"]
    clock = SLAClock.objects.get(rule__code="pregunta-respuesta")
    assert clock.state == "running"
    r = api.as_user(analista).post(
        f"/api/v1/briefs/{brief.code}/questions/{qid}/answer/",
        {"answer": "Sí, se excluyen."},
        format="json",
    )
    assert r.status_code == 200
    assert r.json()["answered_by"] == "analista"
    clock.refresh_from_db()
    assert clock.state == "met"
    again = api.as_user(analista).post(
        f"/api/v1/briefs/{brief.code}/questions/{qid}/answer/", {"answer": "otra"}, format="json"
    )
    assert again.status_code == 409


def test_cancel_by_area_only_before_forward(api, make_brief, solicitante, analista):
    forwarded = make_brief(Status.FORWARDED)
    assert post_action(api, solicitante, forwarded.code, "cancel").status_code == 403
    assert post_action(api, analista, forwarded.code, "cancel").status_code == 200
    assert not SLAClock.objects.filter(subject_id=forwarded.pk, stopped_at__isnull=True).exists()
    draft = make_brief(Status.DRAFT)
    assert post_action(api, solicitante, draft.code, "cancel").status_code == 200
    assert post_action(api, solicitante, draft.code, "cancel").status_code == 409


def test_attachment_download_is_logged_and_scoped(client, make_brief, solicitante, outsider):
    brief = make_brief(Status.DRAFT)
    attachment = brief.attachments.get(kind="base")
    from brief.campaigns import actions
    from brief.core.exceptions import Forbidden

    with pytest.raises(Forbidden):
        actions.open_attachment(attachment, actor=outsider)
    handle = actions.open_attachment(attachment, actor=solicitante)
    assert handle.read().decode() == BASE_CSV
    handle.close()
    events = AuditEvent.objects.filter(type="BASE_DOWNLOADED")
    assert [e.actor_label for e in events] == ["solicitante"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": {"sms": 5}}, "content"),
        ({"content": {"sms": ["Hola"]}}, "content"),
        ({"target_contact_rate": 500}, "target_contact_rate"),
        ({"target_effectiveness": -1}, "target_effectiveness"),
    ],
)
def test_patch_refuses_what_the_f559_form_refuses(api, make_brief, solicitante, body, field):
    # given
    brief = make_brief(Status.DRAFT)
    # when
    r = api.as_user(solicitante).patch(f"/api/v1/briefs/{brief.code}/", body, format="json")
    # then
    assert r.status_code == 400
    assert [e["field"] for e in r.json()["errors"]] == [field]
    brief.refresh_from_db()
    assert brief.content == {}
    assert brief.target_contact_rate is None
    assert brief.target_effectiveness is None


def test_patch_accepts_text_content_and_percentages(api, make_brief, solicitante):
    brief = make_brief(Status.DRAFT)
    r = api.as_user(solicitante).patch(
        f"/api/v1/briefs/{brief.code}/",
        {"content": {"sms": "Hola {nombres}"}, "target_contact_rate": 80},
        format="json",
    )
    assert r.status_code == 200
    assert r.json()["content"] == {"sms": "Hola {nombres}"}
    assert r.json()["target_contact_rate"] == "80.00"
