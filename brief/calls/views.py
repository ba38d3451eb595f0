"""Contact-center pages: the brief's section (typification, advisors), the typification
editor, interactions with their recordings, and the beneficiary history.

Views stay thin: permission → form → one call to :mod:`.actions` → redirect or render.
"""

from __future__ import annotations

import itertools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brief.campaigns.actions import advisor_trained
from brief.campaigns.choices import PROVIDER_VISIBLE, Channel
from brief.campaigns.models import Brief
from brief.campaigns.permissions import require_view, visible_brief
from brief.contacts.charts import USABLE_COLOR, bar_chart, thousands
from brief.contacts.exports import XLSX_TYPE
from brief.content.models import Template
from brief.content.render import contact_fields, render_script
from brief.core.exceptions import Forbidden, Invalid, Refusal
from brief.core.forms import add_domain_errors
from brief.core.roles import Role

from . import actions, conversations, exports, figures, history, queue, statement, typification
from .choices import FLAGS, INTERACTION_STATES, ConversationStatus, Level
from .filters import CaseFilter, ConversationFilter, InteractionFilter
from .forms import (
    CaseCloseForm,
    CaseNoteForm,
    CloseConversationForm,
    HistoryForm,
    ImportForm,
    InteractionImportForm,
    LayoutForm,
    NodeForm,
    RecordingForm,
    ReplyForm,
    StatementForm,
    WorkForm,
)
from .imports import MAX_ROWS, MAX_ZIP_ENTRIES
from .models import (
    Case,
    Conversation,
    CrmExportLayout,
    Interaction,
    InteractionImport,
    QueueEntry,
    Recording,
    TypificationNode,
)


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
    """The brief page's contact-center section (loaded by htmx): the typification of a call
    brief and, once the provider has it, its advisors (the director assigns them here)."""
    brief = _get_brief(request, code)
    calls = Channel.CALL in (brief.channels or [])
    with_provider = brief.status in PROVIDER_VISIBLE
    if not (calls or with_provider):
        return HttpResponse("")
    roots = typification.stored_tree(brief) if calls else []
    can_assign = actions.assignment_refusal(brief, request.user) is None
    assigned = brief.assignments.select_related("advisor", "assigned_by")
    free = []
    if can_assign:
        free = list(actions.provider_advisors(brief).exclude(assignments__brief=brief))
    return render(
        request,
        "calls/partials/brief_panel.html",
        {
            "brief": brief,
            "calls": calls,
            "with_provider": with_provider,
            "leaves": len(typification.leaves(roots)),
            "frozen": any(r.frozen for r in roots),
            "assignments": list(assigned),
            "can_assign": can_assign,
            "free_advisors": free,
        },
    )


def _advisor_step(request, code: str, step, done: str):
    """Run ``step(brief, advisor, …)`` for the posted ``advisor`` (a username) and go back to
    the brief's contact-center section."""
    brief = _get_brief(request, code)
    advisor = actions.provider_advisors(brief).filter(username=request.POST.get("advisor")).first()
    try:
        if advisor is None:
            raise Invalid(_("Elija un asesor del proveedor."), field="advisor")
        step(brief, advisor, actor=request.user, request=request)
    except Refusal as exc:
        _report(request, exc)
    else:
        messages.success(request, done % {"name": advisor.display_name})
    return redirect(reverse("campaigns:brief_detail", args=[brief.code]) + "#centro-contacto")


@login_required
@require_POST
def advisor_assign(request, code: str):
    """Assign one of the provider's advisors (``advisor`` = username) to the brief."""
    return _advisor_step(
        request, code, actions.assign_advisor, _("%(name)s quedó asignado al brief.")
    )


@login_required
@require_POST
def advisor_unassign(request, code: str):
    return _advisor_step(
        request, code, actions.unassign_advisor, _("%(name)s ya no trabaja este brief.")
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


# --- interactions --------------------------------------------------------------------------


@login_required
@require_GET
def interactions(request, code: str):
    """A brief's interactions with completeness, billing and the reasons of each exclusion."""
    brief = _get_brief(request, code)
    queryset = Interaction.objects.filter(brief=brief).select_related("advisor", "typification")
    filtered = InteractionFilter(request.GET or None, queryset=queryset)
    # A filter that does not parse is shown on its field and lists nothing (never ignored).
    rows = queryset.none() if filtered.is_bound and not filtered.is_valid() else filtered.qs
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "calls/interactions.html",
        {"brief": brief, "filter": filtered, "page": page, "total": rows.count()},
    )


def _get_interaction(request, code: str) -> Interaction:
    interaction = get_object_or_404(
        Interaction.objects.select_related("brief", "advisor", "typification", "contact"),
        code=code,
    )
    require_view(request.user, interaction.brief)
    return interaction


@login_required
@require_http_methods(["GET", "POST"])
def interaction_detail(request, code: str):
    """One interaction; POST adds its audio or screen recording (a file or the provider URL)."""
    interaction = _get_interaction(request, code)
    form = RecordingForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.attach_recording(
                    interaction,
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data.get("file"),
                    url=form.cleaned_data.get("url") or "",
                    request=request,
                )
            except Refusal as exc:
                add_domain_errors(form, exc)
                status = exc.status_code
            else:
                messages.success(request, _("Grabación guardada."))
                return redirect("calls:interaction_detail", code=interaction.code)
        else:
            status = 400
    return render(
        request,
        "calls/interaction_detail.html",
        {
            "interaction": interaction,
            "brief": interaction.brief,
            "recordings": list(interaction.recordings.all()),
            "form": form,
        },
        status=status,
    )


@login_required
@require_GET
def recording_download(request, code: str, kind: str):
    """Stream a stored recording after the permission check; the access is audit-logged."""
    interaction = _get_interaction(request, code)
    recording = get_object_or_404(Recording, interaction=interaction, kind=kind)
    try:
        handle = actions.open_recording(recording, actor=request.user, request=request)
    except FileNotFoundError as exc:
        raise Http404(_("La grabación no está almacenada en Brief.")) from exc
    return FileResponse(handle, filename=recording.original_name or f"{code}-{kind}")


# --- beneficiary history -------------------------------------------------------------------


@login_required
@require_GET
def history_page(request):
    """A person's history across campaigns and channels, by document, phone or e-mail."""
    form = HistoryForm(request.GET or None)
    result = form.look_up(request.user, via="ui", request=request) if form.is_valid() else None
    return render(
        request,
        "calls/history.html",
        {"form": form, "result": result, "page_size": history.PAGE_SIZE},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


# --- figures -------------------------------------------------------------------------------

FIGURE_PAGE = 25


def _chart(rows: list[tuple[str, int]], *, color: str, xlabel: str, prefix: str) -> dict:
    """A bar chart drawn like the base summary's (``contacts.charts``), its rows and its
    numbers as one sentence for the figure's accessible name."""
    labels = [label for label, _n in rows]
    values = [int(n or 0) for _label, n in rows]
    return {
        "svg": bar_chart(labels, values, color=color, xlabel=xlabel, prefix=prefix),
        "rows": rows,
        "text": "; ".join(
            f"{label}: {thousands(n)}" for label, n in zip(labels, values, strict=True)
        ),
    }


@login_required
@require_GET
def results(request, code: str):
    """The campaign's contact-center figures: contact rate and effectiveness of calls, message
    rates, the survey answers per question with NPS and CSAT, each with its definition."""
    brief = _get_brief(request, code)
    data = figures.figures(brief)
    funnels = {
        "calls": [
            (_("Registros marcados"), "dialled"),
            (_("Contactados (titular o tercero)"), "contacted"),
            (_("Contacto con el titular"), "right_party"),
            (_("Efectivos"), "effective"),
        ],
        "messages": [
            (_("Enviados"), "sent"),
            (_("Entregados"), "delivered"),
            (_("Leídos"), "read"),
            (_("Respondidos"), "replied"),
        ],
    }
    units = {"calls": _("Contactos distintos"), "messages": _("Mensajes")}
    charts = {
        block: _chart(
            [(label, data[block]["overall"][key]) for label, key in items],
            color=USABLE_COLOR,
            xlabel=units[block],
            prefix=block,
        )
        for block, items in funnels.items()
    }
    for i, question in enumerate(data["questions"]):
        if "options" in question:
            rows = [(o["label"], o["count"]) for o in question["options"]]
        elif "distribution" in question:
            rows = [(str(d["score"]), d["count"]) for d in question["distribution"]]
        else:
            continue
        question["chart"] = _chart(
            rows, color=USABLE_COLOR, xlabel=_("Personas"), prefix=f"pregunta-{i}"
        )
    shown = request.GET.get("respuestas", "")
    texts = None
    if any(q["key"] == shown and "sample" in q for q in data["questions"]):
        texts = Paginator(figures.text_answers(brief, shown), FIGURE_PAGE).get_page(
            request.GET.get("page")
        )
    return render(
        request,
        "calls/results.html",
        {
            "brief": brief,
            "data": data,
            "call_chart": charts["calls"],
            "message_chart": charts["messages"],
            "labels": figures.FIGURE_LABELS,
            "stat_labels": figures.STAT_LABELS,
            "shown": shown,
            "texts": texts,
        },
    )


@login_required
@require_GET
def results_xlsx(request, code: str):
    """The consolidation as XLSX (calls, messages, questions, free-text answers)."""
    brief = _get_brief(request, code)
    content = figures.figures_xlsx(*figures.export_data(brief))
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="resultados-{brief.code}.xlsx"'
    return response


# --- conversations and cases ---------------------------------------------------------------


def _visible_conversation(request, pk: int) -> Conversation:
    conversation = get_object_or_404(
        Conversation.objects.select_related("brief", "contact", "advisor", "interaction"), pk=pk
    )
    conversations.require_reader(request.user)
    require_view(request.user, conversation.brief)
    return conversation


@login_required
@require_GET
def conversation_inbox(request):
    """The WhatsApp conversations of the briefs the user reaches (an advisor: those assigned
    to them), newest message first, open ones by default."""
    data = request.GET.copy()
    data.setdefault("status", ConversationStatus.OPEN)
    rows = conversations.inbox(request.user)
    filtered = ConversationFilter(data, queryset=rows)
    rows = filtered.qs if filtered.is_valid() else rows
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "calls/conversations.html",
        {"filter": filtered, "page": page, "now": timezone.now()},
    )


def _conversation_page(request, conversation: Conversation, *, reply=None, close=None, status=200):
    brief = conversation.brief
    templates = list(conversations.approved_templates(brief))
    return render(
        request,
        "calls/conversation_detail.html",
        {
            "conversation": conversation,
            "brief": brief,
            "thread": conversations.thread(conversation),
            "window_reason": conversations.window_reason(conversation),
            "refusal": actions.answer_refusal(conversation, request.user),
            "reply_form": reply or ReplyForm(templates=templates),
            "close_form": close or CloseConversationForm(leaves=_leaves(brief)),
            "has_templates": bool(templates),
        },
        status=status,
    )


@login_required
@require_GET
def conversation_detail(request, pk: int):
    """A conversation's thread (inbound and outbound, times and statuses), the answer form
    (free text only inside the window, else an approved template) and the closing form."""
    return _conversation_page(request, _visible_conversation(request, pk))


def _posted(request, form, run, page, done: str, back):
    """The POST of a conversation or case form: a valid form runs ``run(data)`` (one action);
    a refusal shows the page again with the action's Spanish reason on the form (``page``
    rebuilds it); success says ``done`` (or what ``run`` answers) and goes ``back``."""
    if not form.is_valid():
        return page(form, 400)
    try:
        outcome = run(form.cleaned_data)
    except Refusal as exc:
        add_domain_errors(form, exc)
        return page(form, exc.status_code)
    if isinstance(outcome, str):
        messages.error(request, outcome)
    else:
        messages.success(request, done)
    return back


def _leaves(brief: Brief) -> list[tuple[int | None, str]]:
    return [(n.pk, path) for path, n in typification.leaves(typification.stored_tree(brief))]


@login_required
@require_POST
def conversation_reply(request, pk: int):
    """Answer: free text (inside the window) or an approved template of the brief."""
    conversation = _visible_conversation(request, pk)
    approved = conversations.approved_templates(conversation.brief)

    def run(data):
        row = actions.reply_conversation(
            conversation,
            actor=request.user,
            text=data.get("text") or "",
            template=approved.filter(pk=data.get("template")).first(),
            request=request,
        )
        if row.status == "failed":
            return _("WhatsApp no aceptó la respuesta: %(why)s") % {"why": row.error_detail}
        return row

    return _posted(
        request,
        ReplyForm(request.POST, templates=approved),
        run,
        lambda form, status: _conversation_page(request, conversation, reply=form, status=status),
        _("Respuesta enviada."),
        redirect("calls:conversation_detail", pk=conversation.pk),
    )


@login_required
@require_POST
def conversation_close(request, pk: int):
    """Typify and close: the conversation becomes an interaction."""
    conversation = _visible_conversation(request, pk)
    return _posted(
        request,
        CloseConversationForm(request.POST, leaves=_leaves(conversation.brief)),
        lambda data: actions.close_conversation(
            conversation,
            actor=request.user,
            typification=data["typification"],
            observations=data.get("observations") or "",
            request=request,
        ),
        lambda form, status: _conversation_page(request, conversation, close=form, status=status),
        _("Conversación cerrada y tipificada."),
        redirect("calls:conversation_detail", pk=conversation.pk),
    )


def _visible_case(request, code: str) -> Case:
    case = get_object_or_404(
        Case.objects.select_related("brief", "interaction", "contact", "closed_by"), code=code
    )
    conversations.require_reader(request.user)
    require_view(request.user, case.brief)
    return case


@login_required
@require_GET
def case_list(request):
    """Cases of the briefs the user reaches, with filters (brief, state, overdue)."""
    rows = conversations.visible_cases(request.user)
    filtered = CaseFilter(request.GET or None, queryset=rows)
    rows = filtered.qs if filtered.is_bound and filtered.is_valid() else rows
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "calls/cases.html",
        {"filter": filtered, "page": page, "total": rows.count(), "now": timezone.now()},
    )


def _case_page(request, case: Case, *, note=None, close=None, status=200):
    return render(
        request,
        "calls/case_detail.html",
        {
            "case": case,
            "brief": case.brief,
            "notes": list(case.notes.select_related("author")),
            "overdue": case.overdue(),
            "refusal": actions.case_refusal(case, request.user),
            "note_form": note or CaseNoteForm(),
            "close_form": close or CaseCloseForm(),
        },
        status=status,
    )


@login_required
@require_GET
def case_detail(request, code: str):
    return _case_page(request, _visible_case(request, code))


@login_required
@require_POST
def case_annotate(request, code: str):
    case = _visible_case(request, code)
    return _posted(
        request,
        CaseNoteForm(request.POST),
        lambda data: actions.annotate_case(
            case, actor=request.user, text=data["text"], request=request
        ),
        lambda form, status: _case_page(request, case, note=form, status=status),
        _("Nota agregada."),
        redirect("calls:case_detail", code=case.code),
    )


@login_required
@require_POST
def case_close(request, code: str):
    case = _visible_case(request, code)
    return _posted(
        request,
        CaseCloseForm(request.POST),
        lambda data: actions.close_case(
            case, actor=request.user, text=data.get("text") or "", request=request
        ),
        lambda form, status: _case_page(request, case, close=form, status=status),
        _("Caso cerrado."),
        redirect("calls:case_detail", code=case.code),
    )


# --- workbench -----------------------------------------------------------------------------


def _assigned_calls(user):
    """The call campaigns assigned to ``user`` (an advisor), newest first."""
    briefs = Brief.objects.visible_to(user).filter(assignments__advisor=user).order_by("-id")
    return [b for b in briefs.distinct() if Channel.CALL in (b.channels or [])]


def _workbench_brief(request, code: str) -> Brief:
    """The brief ``code`` for its workbench: 404 when the user does not see it, 403 when they
    are not one of its assigned advisors."""
    brief = _get_brief(request, code)
    if not brief.assignments.filter(advisor=request.user).exists():
        raise Forbidden(_("Solo los asesores asignados a la campaña trabajan su cola."))
    return brief


@login_required
@require_GET
def workbench_home(request):
    """The advisor's call campaigns with their queue figures."""
    rows = [{"brief": b, **_figures(b)} for b in _assigned_calls(request.user)]
    return render(request, "calls/workbench_home.html", {"rows": rows})


def _figures(brief: Brief) -> dict:
    """The campaign's figures on the workbench: the call figures of the results page
    (:func:`.figures.call_figures`, rates with their definitions) and the queue's counts."""
    return {
        "calls": figures.call_figures(brief)["overall"],
        "queue": queue.campaign_queue(brief),
        "labels": figures.FIGURE_LABELS,
    }


def _held(brief: Brief, user) -> QueueEntry | None:
    """The contact ``user`` holds on ``brief`` (an expired hold nobody took still is theirs)."""
    return (
        QueueEntry.objects.filter(brief=brief, holder=user, closed=False)
        .select_related("contact", "sweep__template")
        .order_by("-held_until")
        .first()
    )


def _script_template(brief: Brief, entry: QueueEntry) -> Template | None:
    """The call script the contact is worked with: the sweep's template, else the brief's
    (frozen first) call template."""
    sweep = entry.sweep
    if sweep is not None and sweep.template.channel == Channel.CALL:
        return sweep.template
    templates = Template.objects.filter(brief=brief, channel=Channel.CALL)
    return templates.order_by(F("frozen_at").desc(nulls_last=True), "id").first()


def _grouped_leaves(brief: Brief) -> tuple[list[tuple[int | None, str]], list[dict]]:
    """The typification leaves as form choices and grouped «Categoría › Resultado», numbered
    for the keyboard."""
    choices: list[tuple[int | None, str]] = []
    groups: dict[str, list[dict]] = {}
    for n, (path, node) in enumerate(typification.leaves(typification.stored_tree(brief)), 1):
        group, _sep, label = path.rpartition(" › ")
        choices.append((node.pk, path))
        groups.setdefault(group or label, []).append(
            {"pk": node.pk, "n": n, "label": label, "code": node.code, "path": path}
        )
    return choices, [{"label": k, "leaves": v} for k, v in groups.items()]


def _workbench_context(request, brief: Brief, *, form=None, entry=None, nothing: str = ""):
    entry = entry if entry is not None else _held(brief, request.user)
    context = {
        "brief": brief,
        **_figures(brief),
        "trained": advisor_trained(request.user, brief),
        "entry": entry,
        "nothing": nothing,
        "recordable": actions.refusal(actions.check_can_record, brief, request.user),
    }
    if entry is None:
        return context
    template = _script_template(brief, entry)
    script = render_script(template, contact_fields(entry.contact)) if template else []
    questions = [q for section in script for q in section["questions"]]
    choices, groups = _grouped_leaves(brief)
    if form is None:
        form = WorkForm(leaves=choices, questions=questions)
    context.update(
        {
            "contact": entry.contact,
            "script": script,
            "form": form,
            "groups": groups,
            "chosen": str(form["typification"].value() or ""),
        }
    )
    return context


@login_required
@require_GET
def workbench(request, code: str):
    """A campaign's workbench: its figures, and the contact the advisor holds with the script
    and the one form, or the «Siguiente contacto» button."""
    brief = _workbench_brief(request, code)
    return render(request, "calls/workbench.html", _workbench_context(request, brief))


@login_required
@require_GET
def workbench_figures(request, code: str):
    """The campaign's figures (htmx refresh)."""
    brief = _workbench_brief(request, code)
    return render(
        request,
        "calls/partials/workbench_figures.html",
        {"brief": brief, **_figures(brief)},
    )


def _claim(request, brief: Brief):
    """Claim the next contact; on nothing, say why (a Spanish message)."""
    try:
        entry = actions.claim_next(request.user, brief)
    except Refusal as exc:
        _report(request, exc)
        return None
    if entry is None:
        messages.info(request, queue.why_nothing(brief))
    return entry


@login_required
@require_POST
def workbench_next(request, code: str):
    """«Siguiente contacto»: claim the next one from the campaign's queue."""
    brief = _workbench_brief(request, code)
    _claim(request, brief)
    return redirect("calls:workbench", code=brief.code)


@login_required
@require_POST
def workbench_work(request, code: str, pk: int):
    """Record the call to the held contact (one action, all or nothing), then load the next."""
    brief = _workbench_brief(request, code)
    entry = get_object_or_404(
        QueueEntry.objects.select_related("contact", "sweep__template"), pk=pk, brief=brief
    )
    context = _workbench_context(request, brief, entry=entry)
    form = WorkForm(
        request.POST,
        request.FILES,
        leaves=context["form"].fields["typification"].choices,
        questions=context["form"].questions,
    )
    if form.is_valid():
        data = {
            "typification": form.cleaned_data["typification"],
            "observations": form.cleaned_data["observations"],
            "answers": form.answers(),
            "callback_at": form.cleaned_data.get("callback_at"),
        }
        try:
            interaction = actions.work_contact(
                entry,
                actor=request.user,
                data=data,
                audio=form.cleaned_data.get("audio"),
                screen=form.cleaned_data.get("screen"),
                request=request,
            )
        except Refusal as exc:
            if exc.code == "not_held":
                _report(request, exc)
                return redirect("calls:workbench", code=brief.code)
            _answer_errors(form, exc)
        else:
            messages.success(
                request,
                _("Llamada a %(name)s registrada (%(code)s).")
                % {"name": entry.contact.full_name, "code": interaction.code},
            )
            _claim(request, brief)
            return redirect("calls:workbench", code=brief.code)
    context = _workbench_context(request, brief, form=form, entry=entry)
    return render(request, "calls/workbench.html", context, status=400)


def _answer_errors(form: WorkForm, exc: Refusal) -> None:
    """The action's errors on the form: a question's error (field = its key) on its field."""
    keys = {q["key"] for q in form.questions}
    for error in exc.errors:
        field = error.get("field")
        if field in keys:
            form.add_error(f"answer_{field}", error["message"])
        elif field in form.fields:
            form.add_error(field, error["message"])
        else:
            form.add_error(None, error["message"])


@login_required
@require_GET
def workbench_history(request, code: str, pk: int):
    """The held contact's history across campaigns and channels (loaded by htmx after the
    claim, so claiming stays fast); each look-up is audit-logged by the history."""
    brief = _workbench_brief(request, code)
    entry = get_object_or_404(
        QueueEntry.objects.select_related("contact"), pk=pk, brief=brief, holder=request.user
    )
    result, problem = None, ""
    if entry.contact.doc_number:
        try:
            result = history.beneficiary_history(
                request.user, "document", entry.contact.doc_number, via="ui", request=request
            )
        except Invalid as exc:
            problem = exc.message
    return render(
        request,
        "calls/partials/workbench_history.html",
        {"result": result, "problem": problem, "contact": entry.contact},
    )


@login_required
@require_POST
def workbench_release(request, code: str, pk: int):
    """«Liberar contacto»: give the held contact back to the queue without calling it."""
    brief = _workbench_brief(request, code)
    entry = get_object_or_404(QueueEntry, pk=pk, brief=brief)
    try:
        actions.release_contact(entry, actor=request.user, request=request)
    except Refusal as exc:
        _report(request, exc)
    else:
        messages.info(request, _("Contacto liberado: vuelve a la cola."))
    return redirect("calls:workbench", code=brief.code)


# --- CRM export, bulk import, billing statement ------------------------------------------


def _import_briefs(user):
    """The briefs whose interactions the director may import (the provider's, executing or
    in review)."""
    return Brief.objects.visible_to(user).filter(
        provider_id=user.provider_id, status__in=INTERACTION_STATES
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    """The provider's director uploads a dialer export (CSV/XLSX) and its recordings (ZIP)."""
    actions.check_can_import(request.user)
    briefs = list(_import_briefs(request.user))
    form = InteractionImportForm(request.POST or None, request.FILES or None, briefs=briefs)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            code = form.cleaned_data.get("brief")
            try:
                brief = visible_brief(request.user, code) if code else None
                job = actions.start_interaction_import(
                    actor=request.user,
                    upload=form.cleaned_data["file"],
                    recordings=form.cleaned_data.get("recordings"),
                    brief=brief,
                    request=request,
                )
            except Refusal as exc:
                add_domain_errors(form, exc)
                status = exc.status_code
            else:
                return redirect("calls:import_detail", pk=job.pk)
        else:
            status = 400
    jobs = InteractionImport.objects.filter(provider_id=request.user.provider_id)[:20]
    return render(
        request,
        "calls/import.html",
        {"form": form, "jobs": jobs, "max_rows": MAX_ROWS, "max_entries": MAX_ZIP_ENTRIES},
        status=status,
    )


def _get_import(request, pk: int) -> InteractionImport:
    job = get_object_or_404(InteractionImport.objects.select_related("brief", "provider"), pk=pk)
    user = request.user
    if not (
        user.is_superuser
        or user.has_role(Role.ANALISTA_OCM, Role.AUDITOR)
        or (user.has_role(Role.PROVEEDOR) and user.provider_id == job.provider_id)
    ):
        raise Http404
    return job


@login_required
@require_GET
def import_detail(request, pk: int):
    """An import's status, counts and row errors; the partial polls while it runs."""
    job = _get_import(request, pk)
    template = "calls/partials/import_status.html" if request.htmx else "calls/import_detail.html"
    return render(request, template, {"job": job})


@login_required
@require_GET
def export_page(request):
    """The CRM export: filters, layout and format; ``?format=csv|xlsx`` downloads it."""
    queryset = Interaction.objects.filter(brief__in=Brief.objects.visible_to(request.user))
    filtered = InteractionFilter(request.GET or None, queryset=queryset)
    layouts = exports.layouts_for(request.user)
    fmt = request.GET.get("format", "")
    if fmt:
        if not filtered.is_valid():
            messages.error(request, _("Revise los filtros."))
        else:
            try:
                layout = exports.resolve_layout(request.user, request.GET.get("layout"))
                exports.check_format(fmt)
            except Refusal as exc:
                _report(request, exc)
            else:
                actions.log_interaction_export(
                    actor=request.user,
                    fmt=fmt,
                    layout=layout,
                    filters={k: v for k, v in request.GET.items() if k != "format"},
                    request=request,
                )
                return exports.response(filtered.qs, layout, fmt)
    return render(
        request,
        "calls/export.html",
        {
            "filter": filtered,
            "layouts": layouts,
            "layout": request.GET.get("layout", ""),
            "can_edit": _can_edit_layouts(request.user),
        },
    )


def _can_edit_layouts(user) -> bool:
    try:
        actions.check_can_edit_layouts(user)
    except Forbidden:
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def layout_edit(request, pk: int | None = None):
    """OCM creates or changes a CRM export layout (its columns in order, with headers)."""
    actions.check_can_edit_layouts(request.user)
    layout = get_object_or_404(CrmExportLayout, pk=pk) if pk else None
    initial = (
        {"name": layout.name, "area": layout.area, "columns": LayoutForm.lines(layout.columns)}
        if layout
        else {
            "columns": LayoutForm.lines(
                [{"field": f, "header": ""} for f in exports.DEFAULT_COLUMNS]
            )
        }
    )
    form = LayoutForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                layout = actions.save_export_layout(
                    layout,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    area=form.cleaned_data["area"],
                    columns=form.cleaned_data["columns"],
                    request=request,
                )
            except Refusal as exc:
                add_domain_errors(form, exc)
                status = exc.status_code
            else:
                messages.success(request, _("Formato «%(name)s» guardado.") % {"name": layout.name})
                return redirect("calls:export")
        else:
            status = 400
    catalogue = [(k, v[0]) for k, v in exports.CATALOGUE.items()]
    return render(
        request,
        "calls/layout_edit.html",
        {"form": form, "layout": layout, "catalogue": catalogue, "prefix": exports.ANSWER_PREFIX},
        status=status,
    )


@login_required
@require_POST
def layout_delete(request, pk: int):
    layout = get_object_or_404(CrmExportLayout, pk=pk)
    actions.delete_export_layout(layout, actor=request.user, request=request)
    messages.success(request, _("Formato «%(name)s» eliminado.") % {"name": layout.name})
    return redirect("calls:export")


@login_required
@require_GET
def statement_page(request):
    """The billing statement of a provider for a month; ``?format=xlsx`` downloads it."""
    providers = statement.providers_for(request.user)
    data = request.GET.copy()
    if "provider" not in data and providers.exists():
        data["provider"] = str(providers.first().pk)
    if "month" not in data:
        data["month"] = statement.parse_month(None).strftime("%Y-%m")
    form = StatementForm(data, providers=providers)
    built, listed = None, {}
    if form.is_valid():
        provider = form.cleaned_data["provider"]
        statement.check_access(request.user, provider)
        built = statement.build(provider, statement.parse_month(form.cleaned_data["month"]))
        if request.GET.get("format") == "xlsx":
            return statement.xlsx_response(built)
        listed = {
            "interactions": list(
                itertools.islice(
                    statement.excluded_interactions(provider, built.month), statement.LISTED
                )
            ),
            "messages": list(
                itertools.islice(
                    statement.excluded_messages(provider, built.month), statement.LISTED
                )
            ),
        }
    return render(
        request,
        "calls/statement.html",
        {
            "form": form,
            "statement": built,
            "data": built.as_dict() if built else None,
            "listed": listed,
            "limit": statement.LISTED,
        },
    )
