"""The contact center's write path: typification trees."""

from __future__ import annotations

import pytest

from brief.accounts.models import Provider
from brief.calls import actions, typification
from brief.calls.models import TypificationNode
from brief.campaigns import actions as brief_actions
from brief.campaigns import permissions
from brief.campaigns.choices import Status
from brief.campaigns.models import AdvisorAssignment, Brief
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.core.models import AuditEvent
from brief.core.roles import Role
from tests.calls.conftest import typification_csv
from tests.helpers import upload

# --- typification --------------------------------------------------------------------------


def test_ocm_builds_a_tree_before_forwarding(make_call_brief, analista):
    # given a call brief in review
    brief = make_call_brief(Status.IN_REVIEW)
    # when OCM adds a category, a result and a detail
    category = actions.add_typification_node(
        brief, actor=analista, data={"label": "Contacto", "counts_as_contact": True}
    )
    result = actions.add_typification_node(
        brief, actor=analista, data={"label": "Acepta", "parent": category.pk, "code": "C1"}
    )
    detail = actions.add_typification_node(
        brief, actor=analista, data={"label": "Paga hoy", "parent": result.pk, "effective": True}
    )
    # then the levels follow the parents and the flags are stored
    assert [category.level, result.level, detail.level] == ["category", "result", "detail"]
    assert dict(typification.leaves(typification.stored_tree(brief))).keys() == {
        "Contacto › Acepta › Paga hoy"
    }
    assert TypificationNode.objects.get(pk=detail.pk).effective is True
    assert AuditEvent.objects.filter(type="TYPIFICATION_NODE_ADDED").count() == 3


def test_a_detail_takes_no_children_and_names_are_unique_per_level(make_call_brief, analista):
    brief = make_call_brief(Status.IN_REVIEW)
    actions.apply_default_typification(brief, actor=analista)
    detail = TypificationNode.objects.filter(brief=brief, level="detail").first()
    with pytest.raises(Invalid, match="Un detalle no tiene hijos"):
        actions.add_typification_node(
            brief, actor=analista, data={"label": "x", "parent": detail.pk}
        )
    with pytest.raises(Invalid, match="Ya existe «No contacto»"):
        actions.add_typification_node(brief, actor=analista, data={"label": "No contacto"})
    with pytest.raises(Invalid, match="«CD» ya existe"):
        actions.add_typification_node(brief, actor=analista, data={"label": "Otra", "code": "CD"})


def test_only_ocm_edits_and_only_before_forwarding(
    make_call_brief, analista, solicitante, proveedor
):
    draft = make_call_brief(Status.DRAFT)
    with pytest.raises(Forbidden):
        actions.add_typification_node(draft, actor=solicitante, data={"label": "X"})
    forwarded = make_call_brief(Status.FORWARDED)
    with pytest.raises(Forbidden):
        actions.apply_default_typification(forwarded, actor=proveedor)
    with pytest.raises(Conflict, match="antes de remitirlo"):
        actions.apply_default_typification(forwarded, actor=analista)
    assert not TypificationNode.objects.exists()
    assert actions.typification_refusal(draft, analista) is None


def test_import_replaces_the_tree(make_call_brief, analista):
    brief = make_call_brief(Status.IN_REVIEW)
    actions.apply_default_typification(brief, actor=analista)
    count = actions.import_typification(
        brief,
        actor=analista,
        upload=typification_csv(
            "Contacto,Acepta,,C1,sí,sí,sí,,",
            "Contacto,Rechaza,,C2,x,x,,,",
            "No contesta,,,N1,,,,2,",
        ),
    )
    assert count == 4
    leaves = {p: n.flags for p, n in typification.leaves(typification.stored_tree(brief))}
    assert leaves["Contacto › Acepta"]["effective"] is True
    assert leaves["Contacto › Rechaza"]["right_party"] is True
    assert leaves["No contesta"]["retry_after_hours"] == 2


def test_a_bad_import_changes_nothing_and_lists_each_row(make_call_brief, analista):
    brief = make_call_brief(Status.IN_REVIEW)
    actions.apply_default_typification(brief, actor=analista)
    before = list(TypificationNode.objects.values_list("pk", flat=True))
    with pytest.raises(Invalid) as refused:
        actions.import_typification(
            brief,
            actor=analista,
            upload=typification_csv("Contacto,Acepta,,C1,tal vez,,,,", ",,Pago,,,,,,"),
        )
    assert [e["message"] for e in refused.value.errors] == [
        "Fila 2: «Cuenta como contacto» debe ser sí o no (trae «tal vez»).",
        "Fila 3: falta la categoría; hay detalle sin resultado.",
    ]
    assert list(TypificationNode.objects.values_list("pk", flat=True)) == before


def test_import_accepts_xlsx_and_refuses_other_files(make_call_brief, analista, tmp_path):
    import xlsxwriter

    brief = make_call_brief(Status.IN_REVIEW)
    path = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    for r, row in enumerate([["categoria", "resultado", "efectivo"], ["Contacto", "Acepta", "sí"]]):
        sheet.write_row(r, 0, row)
    book.close()
    assert (
        actions.import_typification(
            brief, actor=analista, upload=upload("t.xlsx", path.read_bytes())
        )
        == 2
    )
    with pytest.raises(Invalid, match=r"Extensión \.pdf"):
        actions.import_typification(brief, actor=analista, upload=upload("t.pdf", b"%PDF-1.4"))


def test_exit_approval_applies_the_default_tree_and_freezes_it(make_call_brief, analista):
    # given a call brief without a tree, awaiting its exit approval
    brief = make_call_brief(Status.AWAITING_EXIT_APPROVAL)
    assert not TypificationNode.objects.filter(brief=brief).exists()
    # when the exit is approved
    transition = brief_actions.perform(brief, "approve_exit", actor=analista)
    # then the default tree is stored, frozen, and its digest is in the transition
    roots = typification.stored_tree(brief)
    assert next(r.label for r in roots) == "Contacto directo"
    assert not TypificationNode.objects.filter(brief=brief, frozen_at__isnull=True).exists()
    assert transition.details["typification_frozen"]["sha256"] == typification.digest(roots)
    # and nobody edits it afterwards, not even OCM
    with pytest.raises(Conflict, match="congelada"):
        actions.add_typification_node(brief, actor=analista, data={"label": "Otra"})


def test_exit_approval_leaves_briefs_without_calls_alone(make_brief, analista):
    brief = make_brief(Status.EXECUTING)
    assert not TypificationNode.objects.filter(brief=brief).exists()
    assert "typification_frozen" not in brief.transitions.last().details


# --- advisors ------------------------------------------------------------------------------


def test_the_director_assigns_an_advisor_who_then_sees_the_brief(make_brief, proveedor, asesor):
    # given a brief the provider works and an advisor who does not see it yet
    brief = make_brief(Status.EXECUTING)
    assert not Brief.objects.visible_to(asesor).exists()
    # when the channel director assigns the advisor
    actions.assign_advisor(brief, asesor, actor=proveedor)
    # then the advisor sees it and may ask about it; taking them off hides it again
    assert list(Brief.objects.visible_to(asesor)) == [brief]
    assert permissions.may_ask(asesor, brief)
    assert AuditEvent.objects.filter(type="ADVISOR_ASSIGNED", details__advisor="asesor").exists()
    actions.unassign_advisor(brief, asesor, actor=proveedor)
    assert not Brief.objects.visible_to(asesor).exists()


def test_assignment_refusals(make_brief, make_user, proveedor, asesor, analista):
    brief = make_brief(Status.EXECUTING)
    other_provider = Provider.objects.create(code="otro-bpo", name="Otro contact center")
    other_provider_user = make_user("otro_proveedor", Role.PROVEEDOR, provider=other_provider)
    with pytest.raises(Forbidden):
        actions.assign_advisor(brief, asesor, actor=analista)
    with pytest.raises(Forbidden):
        actions.assign_advisor(brief, asesor, actor=other_provider_user)
    stranger = make_user("asesor_otro", Role.ASESOR, provider=other_provider)
    with pytest.raises(Invalid, match="no es un asesor activo del proveedor"):
        actions.assign_advisor(brief, stranger, actor=proveedor)
    with pytest.raises(Invalid, match="no es un asesor"):
        actions.assign_advisor(brief, analista, actor=proveedor)
    actions.assign_advisor(brief, asesor, actor=proveedor)
    with pytest.raises(Conflict, match="ya está asignado"):
        actions.assign_advisor(brief, asesor, actor=proveedor)
    draft = make_brief(Status.DRAFT)
    with pytest.raises(Forbidden):  # not yet the provider's
        actions.assign_advisor(draft, asesor, actor=proveedor)
    assert AdvisorAssignment.objects.count() == 1
