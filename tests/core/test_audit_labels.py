"""Every audit code the code base can write has a Spanish label (``brief.core.audit_labels``).

The codes are collected from the source, not from a hand-kept list: the first argument of every
call to :func:`brief.core.audit.record`. A literal (or ``a if … else b`` of literals) is read
directly; the few calls that pass a variable are resolved by the table ``DYNAMIC`` below, keyed
by file and argument text. A new call with a variable the table does not know fails the test,
so a code can never slip past it unlabelled.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

import brief
from brief.core.audit_labels import AUDIT_LABELS, detail_label, event_label

ROOT = Path(brief.__file__).parent


@cache
def _trees() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(ROOT)): ast.parse(path.read_text(), str(path))
        for path in sorted(ROOT.rglob("*.py"))
        if "migrations" not in path.parts
    }


def _name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _calls(name: str, file: str | None = None):
    for path, tree in _trees().items():
        if file is None or path == file:
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _name(node) == name:
                    yield path, node


def _literals(node: ast.expr) -> set[str] | None:
    """The strings ``node`` can be, when it is a literal or a choice between literals."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return body | orelse if body is not None and orelse is not None else None
    return None


def _argument(function: str, keyword: str, position: int, file: str | None = None) -> set[str]:
    """Literal values passed to ``function`` as ``keyword=`` or at ``position``."""
    found: set[str] = set()
    for _path, call in _calls(function, file):
        nodes = [k.value for k in call.keywords if k.arg == keyword]
        if len(call.args) > position:
            nodes.append(call.args[position])
        for node in nodes:
            found |= {v for v in _literals(node) or set() if v}
    return found


def _module_constant(file: str, name: str) -> set[str]:
    for node in _trees()[file].body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return _literals(node.value) or set()
    return set()


def _campaign_specs() -> set[str]:
    from brief.campaigns.choices import ACTIONS, APPROVALS

    return {s.audit for s in ACTIONS.values()} | {s.audit for s in APPROVALS.values()}


def _approval_specs(attribute: str) -> set[str]:
    from brief.campaigns.choices import APPROVALS

    return {getattr(s, attribute) for s in APPROVALS.values()}


# (file, argument as written) -> the codes it can carry.
DYNAMIC: dict[tuple[str, str], Callable[[], set[str]]] = {
    ("contacts/actions.py", "what"): lambda: (
        _argument("check_base_access", "what", 99) | _argument("_get_base", "what", 99)
    ),
    ("dispatch/actions.py", "audit"): lambda: (
        _argument("_move", "audit", 99, "dispatch/actions.py")
        | _argument("_pause_with_reason", "audit", 2, "dispatch/actions.py")
    ),
    ("reports/actions.py", "event"): lambda: _argument("_move", "event", 3, "reports/actions.py"),
    ("reports/actions.py", "f'REPORT_{what.upper()}'"): lambda: {
        f"REPORT_{w.upper()}" for w in _argument("log_report_read", "what", 99)
    },
    ("reports/sla_report.py", "SENT_EVENT"): lambda: _module_constant(
        "reports/sla_report.py", "SENT_EVENT"
    ),
    ("reports/monthly.py", "SENT_EVENT"): lambda: _module_constant(
        "reports/monthly.py", "SENT_EVENT"
    ),
    ("campaigns/actions.py", "spec.audit"): _campaign_specs,
    ("campaigns/actions.py", "spec.refused_audit"): lambda: _approval_specs("refused_audit"),
    ("campaigns/actions.py", "spec.requested_audit"): lambda: _approval_specs("requested_audit"),
}


def _imports_record(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and (node.module or "").endswith("audit")
        and any(alias.name == "record" for alias in node.names)
        for node in ast.walk(tree)
    )


@cache
def used_codes() -> frozenset[str]:
    """Every audit code the source can pass to ``record``; fails on an unknown variable."""
    codes: set[str] = set()
    unknown = []
    for path, tree in _trees().items():
        if path != "core/audit.py" and not _imports_record(tree):
            continue
        for _path, call in _calls("record", path):
            if isinstance(call.func, ast.Attribute) and not (
                isinstance(call.func.value, ast.Name) and call.func.value.id == "audit"
            ):
                continue  # some other object's .record()
            if not call.args:
                unknown.append(f"{path}:{call.lineno} (type= by keyword)")
                continue
            argument = call.args[0]
            literal = _literals(argument)
            if literal is not None:
                codes |= literal
                continue
            resolver = DYNAMIC.get((path, ast.unparse(argument)))
            resolved = resolver() if resolver else set()
            if not resolved:
                unknown.append(f"{path}:{call.lineno} {ast.unparse(argument)}")
            codes |= resolved
    assert not unknown, f"teach DYNAMIC where these audit codes come from: {unknown}"
    return frozenset(codes)


def test_the_collector_finds_literal_and_dynamic_codes():
    codes = used_codes()
    # literals, both branches of a choice, and each kind of variable
    assert {"BRIEF_CREATED", "BASE_IMPORT_CANCELLED", "BASE_IMPORT_FAILED"} <= codes
    assert {"BRIEF_FORWARDED", "BRIEF_BOSS_APPROVED", "SWEEP_PAUSED_BY_PROVIDER"} <= codes
    assert {"BRIEF_EXIT_REFUSED", "BRIEF_COMMS_APPROVAL_REFUSED"} <= codes
    assert "BRIEF_LEADER_AUTHORIZATION_REQUESTED" in codes
    assert {"MANAGED_BASE_DOWNLOADED", "RECOMMENDATION_CLOSED", "REPORT_VIEWED"} <= codes
    assert {"MONTHLY_REPORT_SENT", "SLA_REPORT_SENT", "AUDIT_EXPORTED"} <= codes
    assert len(codes) > 100


def test_every_audit_code_in_the_code_base_has_a_spanish_label():
    missing = sorted(used_codes() - AUDIT_LABELS.keys())
    assert missing == [], f"add a label to brief/core/audit_labels.py for: {missing}"


def test_labels_are_spanish_sentences_not_codes():
    for code, label in AUDIT_LABELS.items():
        text = str(label)
        assert text != code, code
        assert not text.isupper(), code
        assert text[0].isupper(), code


@pytest.mark.parametrize(
    ("code", "label"),
    [("BRIEF_RETURNED", "Brief devuelto"), ("AUDIT_EXPORTED", "Auditoría exportada")],
)
def test_event_label(code, label):
    assert event_label(code) == label


def test_an_unknown_code_reads_as_itself():
    assert event_label("SOMETHING_NEW") == "SOMETHING_NEW"
    assert detail_label("sweep") == "Barrido"
    assert detail_label("mystery_key") == "mystery_key"
