"""Content pages: the brief's content, the template editor, creatives, and the public
recipient endpoint of tracked links (``/l/<token>``; the unsubscribe page is in dispatch).

Views stay thin: permission → form → one call to :mod:`.actions` → redirect or render.
"""

from __future__ import annotations

import secrets

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brief.campaigns.models import Brief
from brief.campaigns.permissions import visible_brief
from brief.contacts.models import ContactBase
from brief.core.audit import client_ip
from brief.core.exceptions import Conflict, Refusal
from brief.core.forms import add_domain_errors

from . import actions, links, sms
from .api import preview_data
from .choices import AUDIO_EXTENSIONS, STANDARD_FIELDS, UNSUBSCRIBE_PLACEHOLDER, Channel
from .forms import CreativeForm, PreviewContactForm, TemplateForm
from .models import Creative, Template
from .render import Renderer, contact_fields, normalize_field


def _get_brief(request, code: str) -> Brief:
    return visible_brief(request.user, code, "area", "provider")


def _report(request, exc: Refusal) -> None:
    messages.error(request, exc.message)
    for error in exc.errors[1:]:
        messages.error(request, error["message"])


# The editor's form names some of the action's fields differently.
_FORM_FIELD: dict[str | None, str | None] = {"script_sections": "script", "channel": None}


# --- the brief's content ---------------------------------------------------------------


@login_required
@require_GET
def content_index(request, code: str):
    """Templates per channel, creatives (versions, SHA-256, retention) and link openings."""
    brief = _get_brief(request, code)
    refusal = actions.edit_refusal(brief, request.user)
    templates = list(brief.templates.select_related("created_by").prefetch_related("links"))
    channels = []
    for channel in brief.channels or []:
        if channel not in Channel.values:
            continue
        channels.append(
            {
                "value": channel,
                "label": Channel(channel).label,
                "templates": [t for t in templates if t.channel == channel],
                "recipients": actions.usable_recipients(brief, channel),
            }
        )
    return render(
        request,
        "content/index.html",
        {
            "brief": brief,
            "channels": channels,
            "can_edit": refusal is None,
            "refusal": refusal,
            "creatives": list(brief.creatives.select_related("uploaded_by")),
            "creative_form": CreativeForm(channels=brief.channels) if refusal is None else None,
            "opens": links.opens_count(brief),
            "recipients_opened": links.recipients_who_opened(brief),
        },
    )


def _editor_context(request, brief, *, channel, form, template=None, refusal=None) -> dict:
    body = form["body"].value() or ""
    known = set(STANDARD_FIELDS)
    base = ContactBase.objects.current(brief)
    custom_fields: list[str] = []
    if base is not None:
        first = base.contacts.order_by("row").values_list("custom", flat=True).first() or {}
        custom_fields = list(first)
        known |= {normalize_field(k) for k in custom_fields}
    return {
        "brief": brief,
        "channel": channel,
        "channel_label": Channel(channel).label,
        "form": form,
        "template": template,
        "can_edit": refusal is None,
        "refusal": refusal,
        "counter": preview_data(channel, body, brief) if channel == Channel.SMS else None,
        "standard_fields": STANDARD_FIELDS,
        "custom_fields": custom_fields,
        "has_base": base is not None,
        "unsubscribe_placeholder": UNSUBSCRIBE_PLACEHOLDER,
        "preview_form": PreviewContactForm(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def template_new(request, code: str):
    """A new template for one channel of the brief (``?canal=sms``)."""
    brief = _get_brief(request, code)
    channel = request.GET.get("canal") or request.POST.get("channel") or ""
    if channel not in (brief.channels or []) or channel not in Channel.values:
        raise Http404(_("El brief no tiene ese canal."))
    refusal = actions.edit_refusal(brief, request.user)
    if refusal is not None and request.method == "GET":
        messages.error(request, refusal)
        return redirect("content:index", code=brief.code)
    form = TemplateForm(request.POST or None, channel=channel, brief=brief)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                template = actions.create_template(
                    brief,
                    actor=request.user,
                    data={"channel": channel, **form.to_data()},
                    request=request,
                )
            except Refusal as exc:
                add_domain_errors(form, exc, rename=_FORM_FIELD)
                status = exc.status_code
            else:
                messages.success(
                    request, _("Plantilla «%(name)s» guardada.") % {"name": template.name}
                )
                return redirect("content:template_edit", code=brief.code, pk=template.pk)
        else:
            status = 400
    context = _editor_context(request, brief, channel=channel, form=form, refusal=refusal)
    return render(request, "content/editor.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, code: str, pk: int):
    """The editor of one template (read-only when frozen or not editable by the user)."""
    brief = _get_brief(request, code)
    template = get_object_or_404(Template, pk=pk, brief=brief)
    refusal = actions.edit_refusal(brief, request.user)
    if template.is_frozen:
        refusal = _(
            "Esta plantilla quedó congelada en la aprobación de salida: es la que se envía."
        )
    initial = TemplateForm.initial_for(template)
    form = TemplateForm(
        request.POST or None, initial=initial, channel=template.channel, brief=brief
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.update_template(
                    template, actor=request.user, data=form.to_data(), request=request
                )
            except Refusal as exc:
                add_domain_errors(form, exc, rename=_FORM_FIELD)
                status = exc.status_code
            else:
                messages.success(
                    request, _("Plantilla «%(name)s» actualizada.") % {"name": template.name}
                )
                return redirect("content:template_edit", code=brief.code, pk=template.pk)
        else:
            status = 400
    if refusal is not None:
        for field in form.fields.values():
            field.disabled = True
    context = _editor_context(
        request, brief, channel=template.channel, form=form, template=template, refusal=refusal
    )
    return render(request, "content/editor.html", context, status=status)


@login_required
@require_POST
def template_preview(request, code: str):
    """htmx: the template being edited, rendered for a real contact of the latest base."""
    brief = _get_brief(request, code)
    channel = request.POST.get("channel", "")
    if channel not in Channel.values:
        raise Http404(_("Canal no válido."))
    form = TemplateForm(request.POST, channel=channel, brief=brief)
    form.is_valid()  # the preview works on whatever is typed
    data = form.to_data() if not form.errors else {}
    template = Template(brief=brief, channel=channel)
    for name, value in data.items():
        if name == "voice_audio":
            continue
        if name == "html":
            value = actions.sanitize_html(value)
        setattr(template, name, value)
    contact = actions.preview_contact(
        brief,
        actor=request.user,
        channel=channel,
        document=request.POST.get("document", ""),
        request=request,
    )
    rendered = None
    mail_url = ""
    if contact is not None:
        rendered = Renderer(template).render(contact_fields(contact))
        if rendered.html:
            mail_url = _keep_mail_preview(request, brief, rendered.html)
    return render(
        request,
        "content/partials/preview.html",
        {
            "brief": brief,
            "channel": channel,
            "contact": contact,
            "rendered": rendered,
            "mail_url": mail_url,
            "has_base": ContactBase.objects.current(brief) is not None,
            "analysis": sms.analyze(rendered.text) if rendered and channel == "sms" else None,
        },
    )


# The e-mail preview is its own document (an iframe's src, not srcdoc): an e-mail's HTML
# styles itself inline, which the pages' policy forbids and a srcdoc frame would inherit.
MAIL_PREVIEW_SESSION_KEY = "content_mail_preview"
# Only what an e-mail needs to show: its inline CSS and images of Brief (creatives) or data:
# URLs; no script, no form, no plugin, sandboxed; framed only by Brief's own pages.
MAIL_PREVIEW_POLICY = {
    "default-src": [NONE],
    "style-src": [UNSAFE_INLINE],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "base-uri": [NONE],
    "form-action": [NONE],
    "frame-ancestors": [SELF],
    "sandbox": True,
}


def _keep_mail_preview(request, brief: Brief, html: str) -> str:
    """Keep the latest rendered e-mail in the session (one per session, replaced by the
    next preview) and return the URL that shows it."""
    token = secrets.token_urlsafe(16)
    request.session[MAIL_PREVIEW_SESSION_KEY] = {"brief": brief.code, "token": token, "html": html}
    return reverse("content:mail_preview", args=[brief.code, token])


@login_required
@require_GET
@xframe_options_sameorigin
@csp(MAIL_PREVIEW_POLICY)  # type: ignore[arg-type]  # django-csp types views as (request)
def mail_preview(request, code: str, token: str):
    """The e-mail the last preview rendered, as a document of its own for the editor's
    sandboxed iframe, under a policy that lets its inline styles apply."""
    brief = _get_brief(request, code)
    kept = request.session.get(MAIL_PREVIEW_SESSION_KEY) or {}
    if kept.get("brief") != brief.code or not secrets.compare_digest(
        str(kept.get("token", "")), token
    ):
        raise Http404(_("La vista previa ya no está disponible: genérela de nuevo."))
    return HttpResponse(mail_document(kept["html"]), content_type="text/html; charset=utf-8")


# What a mail client gives a message: the frame's width as the viewport (the editor switches it
# between 600 and 375 px), a plain body and images no wider than the screen.
_MAIL_DOCUMENT = (
    '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title><style>body{{margin:0;padding:12px;font-family:Arial,Helvetica,"
    "sans-serif;line-height:1.4;overflow-wrap:anywhere}}img{{max-width:100%;height:auto}}"
    "</style></head><body>{body}</body></html>"
)


def mail_document(body: str) -> str:
    """An e-mail's sanitized HTML as the document the preview frame shows."""
    return _MAIL_DOCUMENT.format(title=_("Vista previa del correo"), body=body)


# --- creatives -------------------------------------------------------------------------


@login_required
@require_POST
def creative_upload(request, code: str):
    brief = _get_brief(request, code)
    form = CreativeForm(request.POST, request.FILES, channels=brief.channels)
    if form.is_valid():
        try:
            creative = actions.add_creative(
                brief,
                actor=request.user,
                channel=form.cleaned_data["channel"],
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
                request=request,
            )
        except Refusal as exc:
            _report(request, exc)
        else:
            messages.success(
                request,
                _("Pieza «%(name)s» guardada (SHA-256 %(sha)s…).")
                % {"name": creative.name, "sha": creative.sha256[:12]},
            )
    else:
        for errors in form.errors.values():
            for error in errors:  # an ErrorList yields its messages (strings)
                messages.error(request, str(error))
    return HttpResponseRedirect(reverse("content:index", args=[brief.code]) + "#piezas")


@login_required
@require_GET
def creative_download(request, code: str, pk: int):
    creative = get_object_or_404(Creative.objects.select_related("brief"), pk=pk, brief__code=code)
    try:
        handle = actions.open_creative(creative, actor=request.user, request=request)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("content:index", code=code)
    except FileNotFoundError as exc:
        raise Http404(_("El archivo ya no está disponible.")) from exc
    return FileResponse(handle, as_attachment=True, filename=creative.name)


# --- public recipient endpoints ----------------------------------------------------------


@require_GET
@never_cache
def link_open(request, token: str):
    """A recipient opens a tracked link: count it, then redirect (302) to the destination."""
    url = actions.record_link_open(
        token, ip=client_ip(request), user_agent=request.headers.get("User-Agent", "")
    )
    if url is None:
        return render(request, "content/link_invalid.html", status=404)
    return HttpResponseRedirect(url)


@require_GET
@never_cache
def creative_public(request, token: str):
    """A provider fetches the audio a voice call plays (signed, expiring URL; audio only)."""
    creative_id = links.parse_creative_token(token)
    creative = Creative.objects.filter(pk=creative_id).first() if creative_id else None
    if creative is None or creative.extension not in AUDIO_EXTENSIONS:
        raise Http404(_("El enlace no es válido o ya venció."))
    try:
        handle = actions.open_creative(creative)
    except (Conflict, FileNotFoundError) as exc:
        raise Http404(_("El archivo ya no está disponible.")) from exc
    return FileResponse(handle, content_type=creative.content_type or None)
