"""Contact-center API: the typification tree under a brief."""

from __future__ import annotations

from django.urls import reverse

from brief.calls.models import TypificationNode
from brief.campaigns.choices import Status
from tests.calls.conftest import typification_csv, with_survey


def test_tree_lists_the_default_until_one_is_stored(api, make_call_brief, analista):
    brief = make_call_brief(Status.IN_REVIEW)
    url = reverse("api:brief_typification", args=[brief.code])
    body = api.as_user(analista).get(url).json()
    assert body["default"] is True
    assert [n["label"] for n in body["nodes"]][:2] == ["Contacto directo", "Contacto indirecto"]
    assert api.post(f"{url}default/").status_code == 201
    body = api.get(url).json()
    assert body["default"] is False
    assert body["nodes"][0]["id"] is not None


def test_add_change_and_delete_a_node(api, make_call_brief, analista):
    brief = make_call_brief(Status.IN_REVIEW)
    url = reverse("api:brief_typification", args=[brief.code])
    client = api.as_user(analista)
    created = client.post(url, {"label": "Contacto", "right_party": True}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    changed = client.patch(f"{url}{pk}/", {"code": "C", "effective": True}, format="json")
    assert changed.status_code == 200
    node = TypificationNode.objects.get(pk=pk)
    assert (node.code, node.effective, node.right_party) == ("C", True, True)
    assert client.delete(f"{url}{pk}/").status_code == 204
    assert not TypificationNode.objects.filter(pk=pk).exists()


def test_refusals_are_structured(api, make_call_brief, analista, proveedor, solicitante):
    brief = make_call_brief(Status.IN_REVIEW)
    url = reverse("api:brief_typification", args=[brief.code])
    denied = api.as_user(solicitante).post(url, {"label": "X"}, format="json")
    assert denied.status_code == 403
    bad = api.as_user(analista).post(url, {"label": ""}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "label"
    refused = api.post(
        f"{url}import/", {"file": typification_csv("Contacto,,,,quizá,,,,")}, format="multipart"
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"].startswith("Fila 2:")
    assert not TypificationNode.objects.exists()
    not_an_object = api.post(url, [1, 2], format="json")
    assert not_an_object.status_code == 400


def test_import_through_the_api(api, make_call_brief, analista):
    brief = make_call_brief(Status.IN_REVIEW)
    url = reverse("api:brief_typification", args=[brief.code])
    response = api.as_user(analista).post(
        f"{url}import/",
        {"file": typification_csv("Contacto,Acepta,,C1,sí,sí,sí,,")},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["nodes"][0]["children"][0]["code"] == "C1"


def test_an_outsider_gets_403(api, make_call_brief, outsider):
    brief = make_call_brief(Status.IN_REVIEW)
    url = reverse("api:brief_typification", args=[brief.code])
    assert api.as_user(outsider).get(url).status_code == 403


def test_advisors_are_assigned_and_taken_off(api, make_brief, proveedor, asesor, analista):
    brief = make_brief(Status.EXECUTING)
    url = reverse("api:brief_advisors", args=[brief.code])
    client = api.as_user(proveedor)
    created = client.post(url, {"advisor": "asesor"}, format="json")
    assert created.status_code == 201
    assert created.json()["assigned_by"] == "proveedor"
    assert [a["advisor"] for a in client.get(url).json()] == ["asesor"]
    assert client.post(url, {"advisor": "asesor"}, format="json").status_code == 409
    assert client.post(url, {"advisor": "nadie"}, format="json").status_code == 400
    assert api.as_user(analista).delete(f"{url}asesor/").status_code == 403
    assert api.as_user(proveedor).delete(f"{url}asesor/").status_code == 204
    assert not brief.assignments.exists()


def test_interactions_api_records_filters_and_takes_recordings(api, call_campaign, asesor):
    from tests.calls.conftest import recording

    brief, contacts, leaf = call_campaign
    with_survey(brief, [{"key": "satisfaccion", "text": "¿Satisfecho?", "kind": "csat"}])
    client = api.as_user(asesor)
    url = reverse("api:interactions")
    created = client.post(
        url,
        {
            "brief": brief.code,
            "channel": "call",
            "contact": contacts[0].pk,
            "typification": leaf.pk,
            "external_id": "DIAL-5",
            "answers": {"satisfaccion": 5},
        },
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["billable"] is False
    assert [e["code"] for e in body["exclusions"]] == ["no_audio", "no_screen"]
    code = body["code"]
    detail = reverse("api:interaction_detail", args=[code])
    for kind in ("audio", "screen"):
        added = client.post(
            f"{detail}recordings/", {"kind": kind, "file": recording(kind)}, format="multipart"
        )
        assert added.status_code == 201
    assert client.get(detail).json()["billable"] is True
    other = client.post(url, {"brief": brief.code, "channel": "whatsapp"}, format="json").json()
    listed = client.get(url, {"brief": brief.code, "channel": "call"}).json()
    assert [r["code"] for r in listed["results"]] == [code]
    assert [r["code"] for r in client.get(url, {"billable": "false"}).json()["results"]] == [
        other["code"]
    ]
    assert client.get(url, {"typification": "CD0101"}).json()["count"] == 1
    assert client.get(url, {"from": "2000-01-01", "advisor": "asesor"}).json()["count"] == 2
    patched = client.patch(detail, {"typification": None}, format="json").json()
    assert patched["exclusions"][0]["label"] == "Sin tipificación"
    bad = client.post(url, {"brief": brief.code, "channel": "fax"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "channel"
