"""Contact-center pages: the brief's section and the typification editor."""

from __future__ import annotations

from django.urls import reverse

from brief.calls.models import TypificationNode
from brief.campaigns.choices import Status
from tests.calls.conftest import typification_csv


def test_brief_page_loads_the_section_for_call_briefs(client, make_call_brief, analista):
    brief = make_call_brief(Status.IN_REVIEW)
    client.force_login(analista)
    page = client.get(reverse("campaigns:brief_tab", args=[brief.code, "barridos"]))
    assert reverse("calls:brief_panel", args=[brief.code]) in page.content.decode()
    panel = client.get(reverse("calls:brief_panel", args=[brief.code]))
    assert "al aprobar la salida se aplica el árbol por defecto" in panel.content.decode()


def test_ocm_edits_the_tree_on_its_page(client, make_call_brief, analista):
    brief = make_call_brief(Status.IN_REVIEW)
    client.force_login(analista)
    page = client.get(reverse("calls:typification", args=[brief.code]))
    assert "Contacto directo" in page.content.decode()  # the default, shown before it is stored
    client.post(reverse("calls:typification_default", args=[brief.code]))
    node = TypificationNode.objects.get(brief=brief, code="NC01")
    response = client.post(
        reverse("calls:typification_node", args=[brief.code, node.pk]),
        {"label": "No contesta", "code": "NC01", "retry_after_hours": "3"},
    )
    assert response.status_code == 302
    assert TypificationNode.objects.get(pk=node.pk).retry_after_hours == 3
    added = client.post(
        reverse("calls:typification_add", args=[brief.code]),
        {"parent": node.parent_id, "label": "Cuelga", "code": "NC07"},
    )
    assert added.status_code == 302
    client.post(reverse("calls:typification_delete", args=[brief.code, node.pk]))
    assert not TypificationNode.objects.filter(pk=node.pk).exists()


def test_a_bad_import_shows_each_row_and_keeps_nothing(client, make_call_brief, analista):
    brief = make_call_brief(Status.IN_REVIEW)
    client.force_login(analista)
    response = client.post(
        reverse("calls:typification_import", args=[brief.code]),
        {"file": typification_csv("A,,,,sí,,,,", ",B,,,,,,,")},
    )
    assert response.status_code == 400
    assert "Fila 3: falta la categoría." in response.content.decode()
    assert not TypificationNode.objects.exists()


def test_the_provider_reads_the_frozen_tree_without_forms(client, make_call_brief, proveedor):
    brief = make_call_brief(Status.EXECUTING)
    client.force_login(proveedor)
    page = client.get(reverse("calls:typification", args=[brief.code])).content.decode()
    assert "Congelada con la aprobación de salida" in page
    assert reverse("calls:typification_add", args=[brief.code]) not in page


def test_the_director_assigns_advisors_on_the_brief_page(client, make_brief, proveedor, asesor):
    brief = make_brief(Status.EXECUTING)
    client.force_login(proveedor)
    panel = client.get(reverse("calls:brief_panel", args=[brief.code])).content.decode()
    assert 'value="asesor"' in panel
    client.post(reverse("calls:advisor_assign", args=[brief.code]), {"advisor": "asesor"})
    assert list(brief.assignments.values_list("advisor__username", flat=True)) == ["asesor"]
    panel = client.get(reverse("calls:brief_panel", args=[brief.code])).content.decode()
    assert reverse("calls:advisor_unassign", args=[brief.code]) in panel
    client.post(reverse("calls:advisor_unassign", args=[brief.code]), {"advisor": "asesor"})
    assert not brief.assignments.exists()


def test_an_advisor_reaches_only_assigned_briefs(client, make_brief, proveedor, asesor):
    brief = make_brief(Status.EXECUTING)
    client.force_login(asesor)
    assert client.get(reverse("campaigns:brief_detail", args=[brief.code])).status_code == 403
    brief.assignments.create(advisor=asesor, assigned_by=proveedor)
    assert client.get(reverse("campaigns:brief_detail", args=[brief.code])).status_code == 200
    panel = client.get(reverse("calls:brief_panel", args=[brief.code])).content.decode()
    assert "Asesores asignados" in panel
    assert reverse("calls:advisor_assign", args=[brief.code]) not in panel
