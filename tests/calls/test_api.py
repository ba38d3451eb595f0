"""Contact-center API: the typification tree under a brief."""

from __future__ import annotations

from django.urls import reverse

from brief.calls.models import TypificationNode
from brief.campaigns.choices import Status
from tests.calls.conftest import typification_csv


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
