from django.test import RequestFactory
from django.urls import reverse

from brief.core.audit import record
from brief.core.models import AuditEvent


def test_record_writes_actor_target_details_and_ip(solicitante, area):
    # given a request from an address
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
    request.user = solicitante
    # when recording
    event = record("BASE_DOWNLOADED", target=area, details={"file": "base.csv"}, request=request)
    # then every field is kept
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor == solicitante
    assert event.actor_label == "solicitante"
    assert event.type == "BASE_DOWNLOADED"
    assert event.target_type == "accounts.area"
    assert event.target_id == str(area.pk)
    assert event.details == {"file": "base.csv"}
    assert event.ip == "10.1.2.3"


def test_record_without_actor_is_system(db):
    event = record("SLA_BREACHED")
    assert event.actor is None
    assert event.actor_label == "sistema"


def test_audit_list_visible_to_auditor_and_filters(client, auditor, area):
    record("BRIEF_FORWARDED", actor=auditor, target=area)
    record("BASE_DOWNLOADED", actor=auditor, target=area)
    client.force_login(auditor)
    response = client.get(reverse("core:audit_list"), {"q": "forwarded"})
    assert response.status_code == 200
    rows = response.content.decode().split("<tbody>")[1]
    assert "BRIEF_FORWARDED" in rows
    assert "BASE_DOWNLOADED" not in rows


def test_audit_list_visible_to_analista(client, analista):
    client.force_login(analista)
    assert client.get(reverse("core:audit_list")).status_code == 200


def test_audit_list_forbidden_to_solicitante_and_proveedor(client, solicitante, proveedor):
    record("SECRET_EVENT")
    for user in (solicitante, proveedor):
        client.force_login(user)
        response = client.get(reverse("core:audit_list"))
        assert response.status_code == 403
        assert "SECRET_EVENT" not in response.content.decode()


def test_audit_list_htmx_returns_partial(client, auditor):
    record("BRIEF_RETURNED", actor=auditor)
    client.force_login(auditor)
    response = client.get(reverse("core:audit_list"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "BRIEF_RETURNED" in body
    assert "<html" not in body
