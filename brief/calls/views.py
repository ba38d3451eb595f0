"""Contact-center pages: the brief's section (typification, advisors) and the typification
editor. Views stay thin: permission → form → one call to :mod:`.actions` → redirect or render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brief.campaigns.models import Brief
from brief.campaigns.permissions import visible_brief
from brief.core.exceptions import Refusal
from brief.core.forms import add_domain_errors

from . import actions, typification
from .choices import FLAGS, Level
from .forms import ImportForm, NodeForm
from .models import TypificationNode


def _get_brief(request, code: str) -> Brief:
    return visible_brief(request.user, code, "area", "provider")


def _report(request, exc: Refusal) -> None:
    for error in exc.errors:
        messages.error(request, error["message"])


def _parents(roots: list[typification.Node]) -> list[tuple[int | None, str]]:
    """Nodes that may take children (categories and results), as «Categoría › Resultado»."""
    out: list[tuple[int | None, str]] = []
    for root in roots:
        out.append((root.pk, root.label))
        out.extend((r.pk, f"{root.label} › {r.label}") for r in root.children)
    return out


def _context(request, brief: Brief, **extra) -> dict:
    roots = typification.stored_tree(brief)
    refusal = actions.typification_refusal(brief, request.user)
    return {
        "brief": brief,
        "roots": roots,
        "default_roots": [] if roots else typification.default_tree(),
        "frozen": any(r.frozen for r in roots),
        "flags": FLAGS,
        "can_edit": refusal is None,
        "refusal": refusal,
        "node_form": NodeForm(parents=_parents(roots)),
        "import_form": ImportForm(),
        **extra,
    }


@login_required
@require_GET
def brief_panel(request, code: str):
    """The brief page's contact-center section (loaded by htmx)."""
    brief = _get_brief(request, code)
    roots = typification.stored_tree(brief)
    return render(
        request,
        "calls/partials/brief_panel.html",
        {
            "brief": brief,
            "leaves": len(typification.leaves(roots)),
            "frozen": any(r.frozen for r in roots),
        },
    )


@login_required
@require_GET
def typification_page(request, code: str):
    """The brief's typification tree with its flags; OCM edits it before forwarding."""
    return render(request, "calls/typification.html", _context(request, _get_brief(request, code)))


@login_required
@require_POST
def typification_add(request, code: str):
    brief = _get_brief(request, code)
    roots = typification.stored_tree(brief)
    form = NodeForm(request.POST, parents=_parents(roots))
    if form.is_valid():
        try:
            node = actions.add_typification_node(
                brief, actor=request.user, data=form.cleaned_data, request=request
            )
        except Refusal as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, _("«%(label)s» agregado.") % {"label": node.label})
            return redirect("calls:typification", code=brief.code)
    return render(
        request, "calls/typification.html", _context(request, brief, node_form=form), status=400
    )


@login_required
@require_http_methods(["GET", "POST"])
def typification_node(request, code: str, pk: int):
    """Change one node's name, code and flags."""
    brief = _get_brief(request, code)
    node = get_object_or_404(TypificationNode, pk=pk, brief=brief)
    initial = {"label": node.label, "code": node.code, **node.flags()}
    form = NodeForm(request.POST or None, initial=initial, with_parent=False)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_typification_node(
                node, actor=request.user, data=form.cleaned_data, request=request
            )
        except Refusal as exc:
            add_domain_errors(form, exc)
            status = exc.status_code
        else:
            messages.success(request, _("Tipificación actualizada."))
            return redirect("calls:typification", code=brief.code)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "calls/typification_node.html",
        {
            "brief": brief,
            "node": node,
            "form": form,
            "level": Level(node.level).label,
            "refusal": actions.typification_refusal(brief, request.user),
        },
        status=status,
    )


@login_required
@require_POST
def typification_delete(request, code: str, pk: int):
    brief = _get_brief(request, code)
    node = get_object_or_404(TypificationNode, pk=pk, brief=brief)
    try:
        actions.delete_typification_node(node, actor=request.user, request=request)
    except Refusal as exc:
        _report(request, exc)
    else:
        messages.success(request, _("«%(label)s» eliminado.") % {"label": node.label})
    return redirect("calls:typification", code=brief.code)


@login_required
@require_POST
def typification_import(request, code: str):
    """Replace the tree from a CSV/XLSX file; every bad row is listed and nothing changes."""
    brief = _get_brief(request, code)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            count = actions.import_typification(
                brief, actor=request.user, upload=form.cleaned_data["file"], request=request
            )
        except Refusal as exc:
            add_domain_errors(form, exc, fields=["file"])
        else:
            messages.success(request, _("Tipificación importada: %(n)s nodos.") % {"n": count})
            return redirect("calls:typification", code=brief.code)
    return render(
        request, "calls/typification.html", _context(request, brief, import_form=form), status=400
    )


@login_required
@require_POST
def typification_default(request, code: str):
    brief = _get_brief(request, code)
    try:
        count = actions.apply_default_typification(brief, actor=request.user, request=request)
    except Refusal as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Árbol por defecto aplicado: %(n)s nodos.") % {"n": count})
    return redirect("calls:typification", code=brief.code)
