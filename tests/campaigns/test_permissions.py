"""Who may see or act on a brief: every persona × every state, queryset and one-object forms
agree, and each agrees with the rule as the procedure states it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser

from brief.campaigns import permissions
from brief.campaigns.choices import (
    ACTIONS,
    AREA_CANCELLABLE,
    AREA_KINDS,
    PROVIDER_KINDS,
    PROVIDER_VISIBLE,
    TERMINAL,
    AttachmentKind,
    Status,
)
from brief.campaigns.models import AdvisorAssignment, Brief
from brief.core.exceptions import Conflict, Forbidden

PERSONAS = [
    "solicitante",
    "jefe",
    "outsider",
    "comunicaciones",
    "analista",
    "lider",
    "proveedor",
    "asesor",
    "other_provider_user",
    "apoyo_front",
    "auditor",
    "superuser",
    "inactive_user",
    "anonymous",
]
STAFF = {"comunicaciones", "analista", "lider", "apoyo_front", "auditor", "superuser"}


@dataclass
class World:
    """Briefs of two areas in every state; forwarded ones go to each area's own provider."""

    mine: dict[str, Brief]  # the first area's brief in each state (provider_org once forwarded)
    theirs: dict[str, Brief]  # the other area's (other_provider once forwarded)
    extra: list[Brief]  # a cancelled-after-forwarding brief, one of ours at the other provider
    assigned: set[int]  # the briefs the advisor ``asesor`` is assigned to

    @property
    def all(self) -> list[Brief]:
        return [*self.mine.values(), *self.theirs.values(), *self.extra]


@pytest.fixture
def world(
    solicitante, outsider, area, other_area, provider_org, other_provider, proveedor, asesor
) -> World:
    counter = iter(range(1, 1000))

    def make(owner, status, provider=None) -> Brief:
        return Brief.objects.create(
            code=f"BRF-2026-{next(counter):04d}",
            area=owner.area,
            requester=owner,
            provider=provider,
            status=status,
            name=f"Campaña {status}",
        )

    def forwarded_to(status, provider):
        return provider if status in PROVIDER_VISIBLE else None

    mine = {s: make(solicitante, s, forwarded_to(s, provider_org)) for s in Status.values}
    extra = [
        make(solicitante, Status.CANCELLED, provider_org),
        make(solicitante, Status.EXECUTING, other_provider),
    ]
    # The advisor works two of the provider's briefs, one not yet forwarded, and one brief that
    # went to another provider (which must not open it).
    assigned = [mine[Status.RECEIVED], mine[Status.EXECUTING], mine[Status.DRAFT], extra[1]]
    for brief in assigned:
        AdvisorAssignment.objects.create(brief=brief, advisor=asesor, assigned_by=proveedor)
    return World(
        mine=mine,
        theirs={s: make(outsider, s, forwarded_to(s, other_provider)) for s in Status.values},
        extra=extra,
        assigned={b.pk for b in assigned},
    )


def persona(request, name: str):
    return AnonymousUser() if name == "anonymous" else request.getfixturevalue(name)


def sees(name: str, brief: Brief, area, provider_org, other_provider, world: World) -> bool:
    """The visibility rule of DESIGN §1, written out independently of the code."""
    if name in STAFF:
        return True
    if name in {"solicitante", "jefe"}:
        return brief.area_id == area.pk
    if name == "outsider":
        return brief.area_id != area.pk
    if name == "proveedor":
        return brief.provider_id == provider_org.pk and brief.status in PROVIDER_VISIBLE
    if name == "asesor":  # only the assigned briefs of their provider, once forwarded
        return (
            brief.pk in world.assigned
            and brief.provider_id == provider_org.pk
            and brief.status in PROVIDER_VISIBLE
        )
    if name == "other_provider_user":
        return brief.provider_id == other_provider.pk and brief.status in PROVIDER_VISIBLE
    return False  # inactive, anonymous


@pytest.mark.parametrize("name", PERSONAS)
def test_queryset_and_one_object_forms_agree_with_the_rule(
    request, name, world, area, provider_org, other_provider
):
    # given a persona and briefs of two areas and two providers in every state
    user = persona(request, name)
    # when visibility is asked as a queryset and brief by brief
    from_queryset = set(Brief.objects.visible_to(user).values_list("pk", flat=True))
    one_by_one = {b.pk for b in world.all if permissions.may_view(user, b)}
    # then both forms agree, and they say what the procedure says
    assert from_queryset == one_by_one
    expected = {b.pk for b in world.all if sees(name, b, area, provider_org, other_provider, world)}
    assert from_queryset == expected


@pytest.mark.parametrize("name", PERSONAS)
def test_require_view_and_visible_brief_follow_may_view(request, name, world):
    user = persona(request, name)
    for brief in world.all:
        if permissions.may_view(user, brief):
            permissions.require_view(user, brief)
            assert permissions.visible_brief(user, brief.code) == brief
        else:
            with pytest.raises(Forbidden, match=brief.code):
                permissions.visible_brief(user, brief.code)


def test_exact_visible_counts(world, proveedor, asesor, other_provider_user, analista):
    # the provider sees exactly its own briefs in the PROVIDER_VISIBLE states
    own = {world.mine[s].pk for s in PROVIDER_VISIBLE}
    assert set(Brief.objects.visible_to(proveedor).values_list("pk", flat=True)) == own
    # the advisor sees only the forwarded briefs of their provider assigned to them
    assigned = {world.mine[Status.RECEIVED].pk, world.mine[Status.EXECUTING].pk}
    assert set(Brief.objects.visible_to(asesor).values_list("pk", flat=True)) == assigned
    theirs = {world.theirs[s].pk for s in PROVIDER_VISIBLE} | {world.extra[1].pk}
    assert set(Brief.objects.visible_to(other_provider_user).values_list("pk", flat=True)) == (
        theirs
    )
    assert Brief.objects.visible_to(analista).count() == len(world.all) == 2 * len(Status) + 2
    assert Brief.objects.visible_to(AnonymousUser()).count() == 0


# --- acting ----------------------------------------------------------------------------

AREA_ACTS = {
    Status.DRAFT: {"submit", "cancel"},
    Status.RETURNED: {"submit", "cancel"},
    Status.SUBMITTED: {"cancel"},
    Status.IN_REVIEW: {"cancel"},
    Status.AWAITING_EXIT_APPROVAL: {"approve_exit", "refuse_exit"},
    Status.RESULTS_SENT: {"accept", "reject_results"},
}
OCM_ACTS = {
    Status.SUBMITTED: {"start_review"},
    Status.IN_REVIEW: {"return", "forward"},
    Status.AWAITING_EXIT_APPROVAL: {"approve_exit", "refuse_exit"},
    Status.RESULTS_REVIEW: {"send_results", "return_results"},
}
PROVIDER_ACTS = {
    Status.FORWARDED: {"receive"},
    Status.RECEIVED: {"load_base"},
    Status.BASE_LOADED: {"request_exit"},
    Status.EXECUTING: {"deliver_results"},
}


def expected_actions(name: str, status: str) -> set[str]:
    """What each persona may run on the first area's brief, as the procedure says."""
    if name in {"solicitante", "jefe"}:
        return AREA_ACTS.get(status, set())
    if name == "analista":
        return OCM_ACTS.get(status, set()) | ({"cancel"} if status not in TERMINAL else set())
    if name == "proveedor":
        return PROVIDER_ACTS.get(status, set())
    if name == "superuser":
        return {spec.name for spec in ACTIONS.values() if status in spec.sources}
    return set()


@pytest.mark.parametrize("name", PERSONAS)
def test_allowed_actions_agree_with_may_act_and_the_procedure(request, name, world):
    user = persona(request, name)
    for brief in world.all:
        allowed = [spec.name for spec in permissions.allowed_actions(brief, user)]
        # the list and the one-action form agree
        assert allowed == [action for action in ACTIONS if permissions.may_act(user, brief, action)]
        # nobody acts on a brief they cannot see
        assert not allowed or permissions.may_view(user, brief)
        for action, spec in ACTIONS.items():
            if brief.status in spec.sources and action not in allowed:
                # the refusal the action raises is the reason the button is missing
                with pytest.raises(Forbidden):
                    permissions.require_action(user, brief, action)
    for status, brief in world.mine.items():
        got = {spec.name for spec in permissions.allowed_actions(brief, user)}
        assert got == expected_actions(name, status), status


def test_area_cancels_only_before_forwarding(solicitante, analista, world):
    for status, brief in world.mine.items():
        if status in TERMINAL:
            continue
        assert permissions.may_act(solicitante, brief, "cancel") == (status in AREA_CANCELLABLE)
        assert permissions.may_act(analista, brief, "cancel")
    with pytest.raises(Forbidden, match="solo OCM puede cancelar"):
        permissions.require_action(solicitante, world.mine[Status.EXECUTING], "cancel")


def test_refusal_messages(comunicaciones, outsider, world):
    brief = world.mine[Status.SUBMITTED]
    with pytest.raises(Forbidden, match="Su rol no permite «iniciar verificación»"):
        permissions.require_action(comunicaciones, brief, "start_review")
    draft = world.mine[Status.DRAFT]
    with pytest.raises(Forbidden, match=f"El brief {draft.code} no pertenece a su área"):
        permissions.require_action(outsider, draft, "submit")


# --- uploads, approvals, questions, creation, editing ----------------------------------


def test_upload_kinds_per_persona(
    solicitante, jefe, comunicaciones, lider, proveedor, asesor, outsider, world
):
    draft, executing = world.mine[Status.DRAFT], world.mine[Status.EXECUTING]
    ordered = AttachmentKind.values
    assert permissions.upload_kinds(solicitante, draft) == [k for k in ordered if k in AREA_KINDS]
    assert permissions.upload_kinds(jefe, draft) == [k for k in ordered if k in AREA_KINDS]
    assert permissions.upload_kinds(comunicaciones, draft) == [AttachmentKind.COMMS_APPROVAL]
    assert permissions.upload_kinds(lider, draft) == [AttachmentKind.LEADER_AUTHORIZATION]
    assert permissions.upload_kinds(outsider, draft) == []
    assert permissions.upload_kinds(solicitante, world.mine[Status.SUBMITTED]) == []
    assert permissions.upload_kinds(proveedor, executing) == [
        k for k in ordered if k in PROVIDER_KINDS
    ]
    assert permissions.upload_kinds(asesor, executing) == []
    assert permissions.upload_kinds(proveedor, world.mine[Status.BASE_LOADED]) == []
    with pytest.raises(Conflict, match="durante la ejecución"):
        permissions.require_upload(proveedor, world.mine[Status.BASE_LOADED], "report")


def test_approvals_per_persona(solicitante, jefe, comunicaciones, lider, outsider, world):
    draft, theirs = world.mine[Status.DRAFT], world.theirs[Status.DRAFT]
    assert permissions.may_approve(jefe, draft, "boss")
    assert not permissions.may_approve(jefe, theirs, "boss")  # only the jefe of the area
    assert not permissions.may_approve(solicitante, draft, "boss")
    assert permissions.may_approve(comunicaciones, theirs, "comms")
    assert not permissions.may_approve(comunicaciones, draft, "boss")
    assert not permissions.may_approve(jefe, world.mine[Status.FORWARDED], "boss")
    assert not permissions.may_approve(jefe, draft, "unknown")
    # the leader's authorization is asked only of exceptional classes
    assert [s.which for s in permissions.approvals_to_give(lider, draft)] == []
    Brief.objects.filter(pk=draft.pk).update(campaign_class="comercial")
    draft.refresh_from_db()
    assert [s.which for s in permissions.approvals_to_give(lider, draft)] == ["leader"]
    # once given, it is not given again
    Brief.objects.filter(pk=draft.pk).update(boss_approved_by=jefe)
    draft.refresh_from_db()
    with pytest.raises(Conflict, match="ya tiene el aval del jefe"):
        permissions.require_approval(jefe, draft, "boss")


def test_questions_per_persona(
    solicitante, analista, proveedor, asesor, outsider, other_provider_user, world
):
    for status, brief in world.mine.items():
        working = status in PROVIDER_VISIBLE and status != Status.ACCEPTED
        assert permissions.may_ask(proveedor, brief) == working, status
        assigned = brief.pk in world.assigned
        assert permissions.may_ask(asesor, brief) == (working and assigned), status
        assert not permissions.may_ask(other_provider_user, brief)
        assert not permissions.may_ask(analista, brief)
        assert permissions.may_answer(analista, brief)
        assert permissions.may_answer(solicitante, brief)
        assert not permissions.may_answer(outsider, brief)
        assert not permissions.may_answer(proveedor, brief)


@pytest.mark.parametrize("name", PERSONAS)
def test_create_and_edit(request, name, world):
    user = persona(request, name)
    assert permissions.may_create(user) == (name in {"solicitante", "jefe", "outsider"})
    for status, brief in world.mine.items():
        editable = status in {Status.DRAFT, Status.RETURNED}
        member = name in {"solicitante", "jefe", "superuser"}
        assert permissions.may_edit(user, brief) == (editable and member), status


def test_board(analista, lider, auditor, comunicaciones, solicitante):
    assert all(permissions.may_see_board(u) for u in (analista, lider, auditor))
    assert not any(permissions.may_see_board(u) for u in (comunicaciones, solicitante))
    assert not permissions.may_see_board(AnonymousUser())
