"""The only write path of message content: templates, creatives, freezing, opens, opt-outs.

Who edits content, and when: the requesting area while the brief is a draft or returned;
the provider's channel director once it received the brief and while the base is loaded;
OCM at any time before the exit approval. At exit approval (``freeze_for_exit``, called by
the workflow) the templates and the approved creative versions are frozen with their
SHA-256; after that nobody edits them. Everyone who can see the brief can read its content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from brief.campaigns.models import Brief
from brief.campaigns.permissions import may_act_as, require_view
from brief.contacts.models import Contact, ContactBase
from brief.core import calendar
from brief.core import retention as legal_retention
from brief.core.audit import record
from brief.core.crypto import DecryptionError
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.core.roles import AREA_ROLES, Role
from brief.core.uploads import check_upload

from . import links
from .choices import (
    AREA_EDIT_STATES,
    AUDIO_EXTENSIONS,
    CREATIVE_EXTENSIONS,
    FROZEN_STATES,
    PROVIDER_EDIT_STATES,
    Channel,
    MissingPolicy,
    QuestionKind,
    WaCategory,
)
from .models import CONTENT_FIELDS, Creative, LinkOpen, Template, TrackedLink
from .render import PLACEHOLDER, compile_template, normalize_field
from .sanitize import sanitize_html, unsafe_removals

__all__ = ["sanitize_html"]  # re-exported: the editor's preview sanitizes as saving does

WA_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
WA_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
QUESTION_KEY = re.compile(r"^[a-z0-9_]{1,60}$")
EDITABLE_FIELDS = ["name", *CONTENT_FIELDS[1:], "voice_audio"]
# --- who may do what -------------------------------------------------------------------


def check_can_edit(brief: Brief, actor) -> None:
    """Raise :class:`Forbidden` (wrong person) or :class:`Conflict` (wrong moment)."""
    require_view(actor, brief)
    if brief.status in FROZEN_STATES:
        raise Conflict(
            gettext(
                "El brief está «%(status)s»: su contenido ya no se puede modificar "
                "(quedó congelado con la aprobación de salida)."
            )
            % {"status": brief.get_status_display()},
            code="content_frozen",
        )
    if actor.is_superuser or actor.has_role(Role.ANALISTA_OCM):
        return
    if may_act_as(actor, brief, AREA_ROLES):
        if brief.status in AREA_EDIT_STATES:
            return
        raise Conflict(
            gettext(
                "El área edita el contenido mientras el brief está en borrador o devuelto; "
                "ahora puede pedir el cambio a OCM."
            ),
            code="invalid_state",
        )
    if may_act_as(actor, brief, {Role.PROVEEDOR}):
        if brief.status in PROVIDER_EDIT_STATES:
            return
        raise Conflict(
            gettext("El proveedor edita el contenido con el brief recibido o con la base cargada."),
            code="invalid_state",
        )
    raise Forbidden(gettext("Su rol no permite modificar el contenido de este brief."))


def edit_refusal(brief: Brief, actor) -> str | None:
    """Why ``actor`` cannot edit the content now (``None`` when they can)."""
    try:
        check_can_edit(brief, actor)
    except (Forbidden, Conflict) as exc:
        return exc.message
    return None


# --- templates -------------------------------------------------------------------------


#: Longest text a template field takes (an SMS or WhatsApp body, an e-mail's text and HTML):
#: far above any real message, low enough that one request cannot store megabytes.
TEXT_LIMITS = {"body": 10_000, "text": 200_000, "html": 1_000_000}


def _err(message: str, field: str, code: str = "invalid") -> dict:
    return {"code": code, "message": message, "field": field}


def _check_address(value: str, field: str, errors: list[dict]) -> None:
    if not value:
        return
    _name, address = parseaddr(value)
    try:
        validate_email(address)
    except ValidationError:
        errors.append(
            _err(
                gettext("«%(value)s» no es una dirección de correo válida.") % {"value": value},
                field,
            )
        )


def _wa_numbers(body: str) -> list[int]:
    return sorted({int(m.group(1)) for m in PLACEHOLDER.finditer(body) if m.group(1)})


def clean_script(sections: Any, errors: list[dict]) -> list[dict]:
    """Check and normalize call-script sections: ``[{title, text, questions: [...]}]``."""
    if not isinstance(sections, list) or not sections:
        errors.append(_err(gettext("Escriba el guion: al menos una sección."), "script_sections"))
        return []
    out, keys = [], set()
    for i, section in enumerate(sections, 1):
        if not isinstance(section, dict) or not str(section.get("title", "")).strip():
            errors.append(
                _err(
                    gettext("La sección %(section)s del guion no tiene título.") % {"section": i},
                    "script_sections",
                )
            )
            continue
        questions = []
        for q in section.get("questions") or []:
            if not isinstance(q, dict):
                errors.append(
                    _err(
                        gettext("Pregunta no válida en la sección %(section)s.") % {"section": i},
                        "script_sections",
                    )
                )
                continue
            key = normalize_field(str(q.get("key", "")))
            kind = q.get("kind") or QuestionKind.TEXT
            options = [str(o).strip() for o in q.get("options") or [] if str(o).strip()]
            if not QUESTION_KEY.match(key):
                errors.append(
                    _err(
                        gettext("Cada pregunta necesita una clave (sección %(section)s).")
                        % {"section": i},
                        "script_sections",
                    )
                )
            elif key in keys:
                errors.append(
                    _err(
                        gettext("La clave «%(key)s» está repetida.") % {"key": key},
                        "script_sections",
                    )
                )
            if not str(q.get("text", "")).strip():
                errors.append(
                    _err(
                        gettext("La pregunta «%(key)s» no tiene texto.") % {"key": key},
                        "script_sections",
                    )
                )
            if kind not in QuestionKind.values:
                errors.append(
                    _err(
                        gettext("Tipo de respuesta no válido: «%(kind)s».") % {"kind": kind},
                        "script_sections",
                    )
                )
            if kind == QuestionKind.CHOICE and len(options) < 2:
                errors.append(
                    _err(
                        gettext("La pregunta «%(key)s» necesita al menos dos opciones.")
                        % {"key": key},
                        "script_sections",
                    )
                )
            keys.add(key)
            questions.append(
                {
                    "key": key,
                    "text": str(q.get("text", "")).strip(),
                    "kind": kind,
                    "options": options if kind == QuestionKind.CHOICE else [],
                    "required": bool(q.get("required", True)),
                }
            )
        out.append(
            {
                "title": str(section["title"]).strip(),
                "text": str(section.get("text", "")).strip(),
                "questions": questions,
            }
        )
    return out


def _validate(brief: Brief, template: Template) -> None:
    """Channel rules; collects every problem and raises one :class:`Invalid`."""
    errors: list[dict] = []
    channel = template.channel
    if channel not in Channel.values:
        raise Invalid(
            gettext("Canal no válido: «%(channel)s».") % {"channel": channel},
            code="invalid_channel",
            field="channel",
        )
    _check_common(brief, template, errors)
    if channel == Channel.SMS and not template.body.strip():
        errors.append(_err(gettext("Escriba el texto del SMS."), "body", "required"))
    elif channel == Channel.EMAIL:
        _check_email(template, errors)
        template.html = sanitize_html(template.html)
    elif channel == Channel.WHATSAPP:
        _check_whatsapp(template, errors)
    elif channel == Channel.VOICE:
        _check_voice(brief, template, errors)
    elif channel == Channel.CALL:
        template.script_sections = clean_script(template.script_sections, errors)
    if errors:
        raise Invalid(errors[0]["message"], code=errors[0]["code"], errors=errors)


def _check_common(brief: Brief, template: Template, errors: list[dict]) -> None:
    """Rules of every channel: one of the brief's channels, the missing-data policy."""
    if template.channel not in (brief.channels or []):
        errors.append(
            _err(
                gettext("El brief no incluye el canal «%(channel)s».")
                % {"channel": Channel(template.channel).label},
                "channel",
                "channel_not_in_brief",
            )
        )
    if template.missing_policy not in MissingPolicy.values:
        errors.append(_err(gettext("Política de datos faltantes no válida."), "missing_policy"))
    if not isinstance(template.fallbacks, dict) or not all(
        isinstance(v, str | int | float) for v in template.fallbacks.values()
    ):
        errors.append(
            _err(gettext("Use un objeto {campo: valor} para los alternativos."), "fallbacks")
        )
    for field, limit in TEXT_LIMITS.items():
        if len(getattr(template, field) or "") > limit:
            errors.append(
                _err(
                    gettext("El texto es demasiado largo: máximo %(limit)s caracteres.")
                    % {"limit": f"{limit:,}".replace(",", ".")},
                    field,
                    "max_length",
                )
            )
    if template.channel != Channel.CALL and template.script_sections:
        # Only a call carries a script; anything else there would break its pages.
        errors.append(
            _err(gettext("Solo las plantillas de llamada llevan guion."), "script_sections")
        )


def _check_email(template: Template, errors: list[dict]) -> None:
    """An e-mail has a subject, a body (HTML or text), a valid sender and nothing in its HTML
    that sanitizing would drop for safety (the author is told what, instead of losing it)."""
    if not template.subject.strip():
        errors.append(_err(gettext("Escriba el asunto del correo."), "subject", "required"))
    if not template.html.strip() and not template.text.strip():
        errors.append(_err(gettext("Escriba el cuerpo del correo."), "html", "required"))
    removals = unsafe_removals(template.html)
    if removals:
        errors.append(
            _err(
                gettext(
                    "El cuerpo del correo tiene contenido que no se envía por seguridad y no se "
                    "guardó: %(parts)s. Quítelo y guarde de nuevo."
                )
                % {"parts": "; ".join(removals)},
                "html",
                "unsafe_html",
            )
        )
    if not template.sender.strip():
        errors.append(
            _err(
                gettext(
                    "Indique el remitente del correo: nombre y dirección, p. ej. "
                    "«ICETEX <notificaciones@icetex.gov.co>»."
                ),
                "sender",
                "required",
            )
        )
    _check_address(template.sender, "sender", errors)
    _check_address(template.reply_to, "reply_to", errors)


def _check_whatsapp(template: Template, errors: list[dict]) -> None:
    """A WhatsApp template as Meta approves it: name, language, category, a body of at most
    1,024 characters whose numbered variables each have a contact field, an https button."""
    if not WA_NAME.match(template.wa_name):
        errors.append(
            _err(
                gettext("El nombre de la plantilla de WhatsApp usa minúsculas, números y «_»."),
                "wa_name",
            )
        )
    if not WA_LANGUAGE.match(template.wa_language):
        errors.append(_err(gettext("Idioma no válido (p. ej. «es» o «es_CO»)."), "wa_language"))
    if template.wa_category not in WaCategory.values:
        errors.append(
            _err(gettext("Elija la categoría de la plantilla."), "wa_category", "required")
        )
    if not template.body.strip():
        errors.append(_err(gettext("Escriba el cuerpo de la plantilla."), "body", "required"))
    elif len(template.body) > 1024:
        errors.append(_err(gettext("El cuerpo de WhatsApp admite hasta 1.024 caracteres."), "body"))
    numbers = _wa_numbers(template.body)
    variables = template.wa_variables
    if not isinstance(variables, list) or not all(
        isinstance(v, str) and v.strip() for v in variables
    ):
        errors.append(_err(gettext("Indique un campo de contacto por variable."), "wa_variables"))
    elif numbers != list(range(1, len(numbers) + 1)):
        errors.append(_err(gettext("Numere las variables seguidas: {{1}}, {{2}}…"), "body"))
    elif len(variables) != len(numbers):
        errors.append(
            _err(
                gettext(
                    "El cuerpo usa %(variables)s variable(s) y se asignaron %(fields)s campo(s)."
                )
                % {"variables": len(numbers), "fields": len(variables)},
                "wa_variables",
            )
        )
    if template.wa_button_url:
        try:
            URLValidator(schemes=["https"])(template.wa_button_url)
        except ValidationError:
            errors.append(_err(gettext("El botón debe llevar una URL https."), "wa_button_url"))


def _check_voice(brief: Brief, template: Template, errors: list[dict]) -> None:
    """A voice message has a text or a recorded audio of this brief."""
    audio = template.voice_audio
    if not template.body.strip() and audio is None:
        errors.append(
            _err(
                gettext("Escriba el texto del mensaje o elija un audio grabado."),
                "body",
                "required",
            )
        )
    if audio is not None and (
        audio.brief_id != brief.pk or audio.extension not in AUDIO_EXTENSIONS
    ):
        errors.append(
            _err(gettext("Elija un audio (mp3, wav u ogg) de este brief."), "voice_audio")
        )


def _apply(template: Template, data: dict[str, Any]) -> None:
    for name in EDITABLE_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "voice_audio":
            if value in ("", None):
                template.voice_audio = None
            elif isinstance(value, Creative):
                template.voice_audio = value
            else:
                template.voice_audio = Creative.objects.filter(pk=value).first()
                if template.voice_audio is None:
                    raise Invalid(gettext("El audio elegido no existe."), field="voice_audio")
            continue
        if name in {"wa_variables", "script_sections"}:
            value = value if value is not None else []
        elif name == "fallbacks":
            value = value if value is not None else {}
        elif value is None:
            value = ""
        elif isinstance(value, str):
            value = value.replace("\r\n", "\n")
        setattr(template, name, value)
    if template.channel == Channel.WHATSAPP:
        template.wa_variables = [str(v).strip() for v in template.wa_variables or []]


def _sync_links(template: Template) -> list[int]:
    """Create the ``TrackedLink`` rows of the template's links (old rows keep their opens)."""
    return compile_template(template, verify_frozen=False).links


@transaction.atomic
def create_template(brief: Brief, *, actor, data: dict[str, Any], request=None) -> Template:
    """Add a channel template to ``brief`` (validated per channel; HTML sanitized)."""
    brief = Brief.objects.select_for_update().get(pk=brief.pk)
    check_can_edit(brief, actor)
    channel = data.get("channel")
    if channel not in Channel.values:
        raise Invalid(
            gettext("Canal no válido: «%(channel)s». Use sms, email, whatsapp, voice o call.")
            % {"channel": channel},
            code="invalid_channel",
            field="channel",
        )
    template = Template(brief=brief, channel=channel, created_by=actor)
    _apply(template, data)
    if not template.name.strip():
        count = Template.objects.filter(brief=brief, channel=channel).count()
        template.name = f"{Channel(channel).label} {count + 1}"
    _validate(brief, template)
    template.save()
    links_ = _sync_links(template)
    record(
        "TEMPLATE_CREATED",
        actor=actor,
        target=brief,
        request=request,
        details={"template": template.pk, "channel": channel, "links": len(links_)},
    )
    return template


@transaction.atomic
def update_template(template: Template, *, actor, data: dict[str, Any], request=None) -> Template:
    """Change a template that is not frozen; its version grows by one."""
    brief = Brief.objects.select_for_update().get(pk=template.brief_id)
    require_view(actor, brief)
    template = Template.objects.select_for_update().get(pk=template.pk)
    if template.is_frozen:
        raise Conflict(
            gettext(
                "La plantilla «%(name)s» quedó congelada en la aprobación de salida "
                "(%(frozen_at)s); no se puede modificar."
            )
            % {
                "name": template.name,
                "frozen_at": format(timezone.localtime(template.frozen_at), "%d/%m/%Y %H:%M"),
            },
            code="template_frozen",
        )
    check_can_edit(brief, actor)
    if "channel" in data and data["channel"] != template.channel:
        raise Invalid(gettext("El canal de una plantilla no cambia."), field="channel")
    before = template.content_digest()
    _apply(template, data)
    if not template.name.strip():
        raise Invalid(gettext("Escriba el nombre de la plantilla."), code="required", field="name")
    _validate(brief, template)
    changed = template.content_digest() != before
    if changed:
        template.version += 1
    template.updated_at = timezone.now()
    template.save()
    _sync_links(template)
    record(
        "TEMPLATE_UPDATED",
        actor=actor,
        target=brief,
        request=request,
        details={"template": template.pk, "version": template.version, "changed": changed},
    )
    return template


# --- creatives -------------------------------------------------------------------------


def contract_end(brief: Brief) -> dt.date | None:
    """End of the service contract the campaign ran under (setting, else the brief's end)."""
    return legal_retention.contract_end_setting() or brief.end_date


def retention_date(brief: Brief, *, today: dt.date) -> dt.date:
    """Contract end (or today, when later) plus ``BRIEF_RETENTION_YEARS`` (``core.retention``)."""
    start = max(d for d in (contract_end(brief), today) if d is not None)
    return legal_retention.add_years(start, legal_retention.years())


def creative_name(brief: Brief, channel: str, version: int, day: dt.date, ext: str) -> str:
    """ICETEX's convention: ``<brief code>_<channel>_v<version>_<yyyymmdd>.<ext>``."""
    return f"{brief.code}_{channel}_v{version}_{day:%Y%m%d}.{ext}"


@transaction.atomic
def add_creative(
    brief: Brief, *, actor, channel: str, upload, description: str = "", request=None
) -> Creative:
    """Store a new version of the brief's creative for ``channel`` with its SHA-256."""
    brief = Brief.objects.select_for_update().get(pk=brief.pk)
    check_can_edit(brief, actor)
    if channel not in Channel.values:
        raise Invalid(gettext("Canal no válido."), code="invalid_channel", field="channel")
    checked = check_upload(upload, allowed=CREATIVE_EXTENSIONS)
    original, ext, size = checked.name, checked.ext, checked.size
    now = timezone.now()
    today = calendar.local(now).date()
    last = Creative.objects.filter(brief=brief, channel=channel).aggregate(v=Max("version"))["v"]
    version = (last or 0) + 1
    creative = Creative(
        brief=brief,
        channel=channel,
        version=version,
        name=creative_name(brief, channel, version, today, ext),
        original_name=original[:255],
        content_type=getattr(upload, "content_type", "") or "",
        size=size,
        sha256=checked.sha256,
        description=description.strip()[:200],
        uploaded_by=actor,
        uploaded_at=now,
        retention_until=retention_date(brief, today=today),
    )
    creative.file.save(creative.name, upload, save=False)
    creative.save()
    record(
        "CREATIVE_ADDED",
        actor=actor,
        target=brief,
        request=request,
        details={"creative": creative.pk, "name": creative.name, "sha256": creative.sha256},
    )
    return creative


def file_sha256(creative: Creative) -> str:
    """SHA-256 of the creative's content; empty when an encrypted file was altered."""
    digest = hashlib.sha256()
    try:
        with creative.file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except DecryptionError:
        return ""
    return digest.hexdigest()


def open_creative(creative: Creative, *, actor=None, request=None):
    """Open a creative for download or sending; a frozen one must match its SHA-256."""
    if actor is not None:
        require_view(actor, creative.brief)
    if creative.frozen_sha256 and file_sha256(creative) != creative.frozen_sha256:
        raise Conflict(
            gettext("El archivo «%(name)s» no coincide con la versión aprobada.")
            % {"name": creative.name},
            code="content_tampered",
        )
    if actor is not None:
        record(
            "CREATIVE_DOWNLOADED",
            actor=actor,
            target=creative.brief,
            request=request,
            details={"creative": creative.pk, "name": creative.name},
        )
    # A fresh handle: the digest above read and closed the field's own file, which an
    # encrypted store cannot reopen by name.
    return creative.file.storage.open(creative.file.name, "rb")


# --- creative retention ----------------------------------------------------------------


def creative_kept_until(creative: Creative) -> dt.date:
    """The day a creative may be deleted after: its stored retention date, else the brief's
    (contract end plus ``BRIEF_RETENTION_YEARS``) counted from the day it was uploaded."""
    if creative.retention_until:
        return creative.retention_until
    return retention_date(creative.brief, today=calendar.local(creative.uploaded_at).date())


def deletion_refusal(creative: Creative, *, today: dt.date | None = None) -> Conflict | None:
    """Why ``creative`` cannot be deleted yet (``None``: it may be): the legal retention."""
    today = today or timezone.localdate()
    until = creative_kept_until(creative)
    if today <= until:
        return Conflict(
            gettext(
                "La pieza «%(name)s» se conserva hasta el %(date)s (retención legal tras el fin "
                "del contrato): no se puede eliminar antes."
            )
            % {"name": creative.name, "date": until.strftime("%d/%m/%Y")},
            code="retention",
        )
    return None


@transaction.atomic
def delete_creative(creative: Creative, *, actor, request=None, today=None) -> None:
    """Delete a creative and its file once its retention date has passed (OCM or an
    administrator); before it, a :class:`Conflict` says until when it is kept."""
    brief = creative.brief
    if not (actor.is_superuser or may_act_as(actor, brief, {Role.ANALISTA_OCM})):
        raise Forbidden(gettext("Solo OCM o un administrador elimina piezas creativas."))
    refusal = deletion_refusal(creative, today=today)
    if refusal is not None:
        raise refusal
    path, sha256 = creative.file.name, creative.sha256
    details = {"creative": creative.pk, "name": creative.name, "path": path, "sha256": sha256}
    storage = creative.file.storage
    creative.delete()
    record("CREATIVE_DELETED", actor=actor, target=brief, request=request, details=details)
    if path:
        transaction.on_commit(lambda: storage.delete(path))


# --- exit approval ---------------------------------------------------------------------


def missing_channel_content(brief: Brief) -> list[dict]:
    """What keeps ``brief`` from asking for exit approval: each of its channels without a
    template (a call's template carries the script, ``script_sections``). Issue 11 adds the
    typification tree that calls also need."""
    have = set(Template.objects.filter(brief=brief).values_list("channel", flat=True))
    problems = []
    for channel in brief.channels or []:
        if channel in have or channel not in Channel.values:
            continue
        label = Channel(channel).label
        if channel == Channel.CALL:
            message = gettext(
                "Falta el guion de llamada: cree la plantilla del canal «%(channel)s» con sus "
                "secciones."
            ) % {"channel": label}
        else:
            message = gettext("Falta la plantilla del canal «%(channel)s».") % {"channel": label}
        problems.append({"code": "missing_template", "message": message, "field": "channels"})
    return problems


def require_channel_templates(brief: Brief) -> None:
    """The ``request_exit`` check (campaigns ``ActionSpec.checks``): at least one template for
    each channel of the brief, so that what OCM approves is everything that will be sent."""
    problems = missing_channel_content(brief)
    if problems:
        raise Conflict(
            " ".join(p["message"] for p in problems),
            code="missing_template",
            errors=problems,
        )


def freeze_for_exit(brief: Brief, *, actor, at=None, **params) -> tuple[dict, dict]:
    """Freeze the brief's templates and approved creatives (the ``approve_exit`` guard).

    Runs inside the workflow's transaction: the latest creative version of each channel
    (and any audio a voice template uses) gets its SHA-256 recomputed from the stored file
    and frozen with its retention date; then every template is frozen with the SHA-256 of
    its content. Returns ``(extra brief fields, transition details)``.
    """
    at = at or timezone.now()
    today = calendar.local(at).date()
    templates = list(
        Template.objects.select_for_update(of=("self",))
        .filter(brief=brief, frozen_at__isnull=True)
        .select_related("voice_audio")
    )
    latest: dict[str, Creative] = {}
    for creative in Creative.objects.filter(brief=brief).order_by("channel", "-version"):
        latest.setdefault(creative.channel, creative)
    chosen = {c.pk: c for c in latest.values()}
    for template in templates:
        if (audio := template.voice_audio) is not None:
            chosen[audio.pk] = audio
    frozen_creatives = []
    for creative in chosen.values():
        if creative.frozen_at:
            continue
        actual = file_sha256(creative)
        if actual != creative.sha256:
            raise Conflict(
                gettext("El archivo «%(name)s» cambió desde que se cargó: no se puede aprobar.")
                % {"name": creative.name},
                code="content_tampered",
            )
        creative.frozen_at = at
        creative.frozen_sha256 = actual
        creative.retention_until = retention_date(brief, today=today)
        creative.save(update_fields=["frozen_at", "frozen_sha256", "retention_until"])
        frozen_creatives.append({"id": creative.pk, "name": creative.name, "sha256": actual})
    frozen_templates = []
    for template in templates:
        if template.voice_audio_id:
            template.voice_audio = chosen[template.voice_audio_id]
        template.frozen_at = at
        template.frozen_sha256 = template.content_digest()
        template.save(update_fields=["frozen_at", "frozen_sha256"])
        frozen_templates.append(
            {"id": template.pk, "channel": template.channel, "sha256": template.frozen_sha256}
        )
    if not frozen_templates and not frozen_creatives:
        return {}, {}
    details = {"templates": frozen_templates, "creatives": frozen_creatives}
    record("CONTENT_FROZEN", actor=actor, target=brief, details=details)
    return {}, {"content_frozen": details}


# --- recipients: link openings ------------------------------------------------------


def record_link_open(token: str, *, ip: str | None = None, user_agent: str = "") -> str | None:
    """Count one opening of a tracked link; returns the destination (``None``: bad token).

    Repeated requests for one recipient's link within ``BRIEF_LINK_OPEN_WINDOW_SECONDS`` are
    one opening: a replayed URL, a double tap or a link scanner fetching it again redirects
    but adds nothing to the report."""
    parsed = links.parse_token(token)
    if parsed is None:
        return None
    link_id, message_id = parsed
    url = TrackedLink.objects.filter(pk=link_id).values_list("url", flat=True).first()
    if url is None:
        return None
    now = timezone.now()
    since = now - dt.timedelta(seconds=settings.BRIEF_LINK_OPEN_WINDOW_SECONDS)
    if not LinkOpen.objects.filter(link_id=link_id, message_id=message_id, at__gte=since).exists():
        LinkOpen.objects.create(
            link_id=link_id,
            message_id=message_id,
            at=now,
            ip=ip or None,
            user_agent=user_agent[:300],
        )
    return url


# --- preview and estimates ---------------------------------------------------------------


def usable_recipients(brief: Brief, channel: str) -> int | None:
    """Usable recipients of the latest ready base for ``channel`` (``None``: no base yet)."""
    base = ContactBase.objects.current(brief)
    if base is None:
        return None
    by_channel = (base.summary or {}).get("usable_by_channel") or {}
    if channel in by_channel:
        return int(by_channel[channel])
    return Contact.objects.filter(base=base, **{f"can_{channel}": True}).count()


def preview_contact(
    brief: Brief, *, actor, channel: str, document: str = "", request=None
) -> Contact | None:
    """A real contact of the latest ready base to preview with (the access is logged)."""
    require_view(actor, brief)
    base = ContactBase.objects.current(brief)
    if base is None:
        return None
    contacts = Contact.objects.filter(base=base)
    document = (document or "").strip()
    if document:
        contacts = contacts.filter(doc_number=document)
    elif channel in Channel.values:
        contacts = contacts.filter(**{f"can_{channel}": True})
    contact = contacts.order_by("row").first()
    if contact is not None:
        record(
            "CONTACT_PREVIEWED",
            actor=actor,
            target=brief,
            request=request,
            details={"base": base.pk, "contact": contact.pk, "purpose": "vista previa"},
        )
    return contact


# Meta's template statuses → ours (anything else is still under review).
META_STATUSES = {
    "APPROVED": "approved",
    "REJECTED": "rejected",
    "PAUSED": "paused",
    "DISABLED": "disabled",
    "DELETED": "missing",
    "PENDING_DELETION": "missing",
}


@transaction.atomic
def record_wa_statuses(listed: list[dict[str, Any]]) -> dict[str, int]:
    """Record Meta's review status on our WhatsApp templates.

    ``listed`` is what the WhatsApp Business Account lists (``name``, ``language``,
    ``status``, ``rejected_reason``); a template matches by name and language (or by name
    alone when Meta has it in a single language). Ours that Meta does not list are
    ``missing``. Returns how many templates ended in each status.
    """
    from .choices import WaStatus

    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    by_name: dict[str, list[dict[str, Any]]] = {}
    for entry in listed:
        name, language = str(entry.get("name", "")), str(entry.get("language", ""))
        by_key[(name, language.lower())] = entry
        by_name.setdefault(name, []).append(entry)
    now = timezone.now()
    counts: dict[str, int] = {}
    changed = []
    for template in Template.objects.filter(channel=Channel.WHATSAPP).exclude(wa_name=""):
        item: dict[str, Any] | None = by_key.get(
            (template.wa_name, (template.wa_language or "").lower())
        )
        if item is None and len(by_name.get(template.wa_name, [])) == 1:
            item = by_name[template.wa_name][0]
        if item is None:
            status, reason = str(WaStatus.MISSING), ""
        else:
            status = META_STATUSES.get(str(item.get("status", "")).upper(), WaStatus.PENDING.value)
            reason = str(item.get("rejected_reason") or "")
            reason = "" if reason.upper() == "NONE" else reason
        counts[status] = counts.get(status, 0) + 1
        if (template.wa_status, template.wa_status_reason) != (status, reason[:300]):
            template.wa_status, template.wa_status_reason = status, reason[:300]
            template.wa_status_at = now
            changed.append(template)
    Template.objects.bulk_update(changed, ["wa_status", "wa_status_reason", "wa_status_at"])
    return {"changed": len(changed), **counts}
