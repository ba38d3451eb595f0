"""The beneficiary history: what was really sent to a person and worked with them.

:func:`beneficiary_history` finds a person by document, phone or e-mail (normalized as the
contact bases normalize them) and lists, newest first and a page at a time, every message a
campaign handed to a provider for them (``Message.attempts > 0`` or a provider status), every
interaction worked with them (calls, voice, WhatsApp conversations, replies recorded as
interactions) and every reply they sent to one of those messages. A brief whose base holds the
person but that never sent them anything does not appear.

Who a key names: a document is every person key ``TYPE:NUMBER`` the bases hold for that number
(``Contact.doc_number`` index); a phone or an e-mail is every person a message or an
interaction reached at that address (``Message.to``, ``Interaction.address`` indexes). Their
rows are then read by person key (``Message.person``, ``Interaction.person`` indexes).

The content is not stored on the message: it is rendered again, exactly as the dispatcher did
(``dispatch.engine.Runner._render``), from the sweep's template — frozen at exit approval, so
the one that was sent — and the contact's fields, with the message's own tracked-link tokens.

Who sees what (README «Historial del beneficiario»): rows of the briefs the user may see
(``Brief.objects.visible_to``) are shown in full; the provider's people (``proveedor``,
``asesor``) also see, for any other brief, that it contacted the person — campaign, channel,
date and time, status — without content, typification, observations or answers. Every look-up
is audit-logged (``BENEFICIARY_LOOKED_UP``: who, which key, how many rows, ``ui`` or ``api``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, gettext_lazy

from brief.campaigns.choices import channel_label
from brief.campaigns.models import Brief
from brief.contacts.cleaning import (
    classify_phone_exact,
    is_valid_email,
    phone_candidate,
    undo_spreadsheet_damage,
)
from brief.contacts.forms import DOCUMENT_RE, normalize_document
from brief.contacts.models import Contact
from brief.content.models import Template, TrackedLink
from brief.content.render import Renderer, contact_fields, link_urls
from brief.core.audit import record
from brief.core.exceptions import Invalid
from brief.core.roles import PROVIDER_ROLES
from brief.dispatch.choices import ACCEPTED, MessageStatus
from brief.dispatch.models import InboundMessage, Message

from .models import Interaction

KEYS = ("document", "phone", "email")
PAGE_SIZE = 50
MAX_PAGE = 20  # 1,000 rows: older ones are in the campaigns' reports
# A message with one of these statuses reached the provider even without a counted attempt.
REACHED = ACCEPTED | {MessageStatus.BOUNCED, MessageStatus.UNKNOWN}
# Roles that see, beyond their own briefs, that any campaign contacted the person.
SUMMARY_ROLES = PROVIDER_ROLES

MESSAGE_STATUS = dict(MessageStatus.choices)
INTERACTION_STATUS = {
    "contact": gettext_lazy("Contactado"),
    "no_contact": gettext_lazy("No contactado"),
    "untypified": gettext_lazy("Sin tipificar"),
}


@dataclass
class Entry:
    """One row of the history. ``detail`` is False when the user may only know that the
    campaign contacted the person: content, typification, observations and answers are blank."""

    kind: str  # message | interaction | reply
    brief: Brief
    channel: str
    at: dt.datetime
    status: str
    status_label: str
    reference: str = ""
    to: str = ""
    subject: str = ""
    content: str = ""
    typification: str = ""
    observations: str = ""
    answers: dict = field(default_factory=dict)
    detail: bool = True
    message: Message | None = field(default=None, repr=False)  # rendered once the page is cut

    @property
    def channel_label(self) -> str:
        return channel_label(self.channel)


@dataclass
class History:
    key: str
    value: str
    persons: list[str]
    page: int
    entries: list[Entry]
    has_more: bool


def normalize_key(key: str, value: str) -> str:
    """``value`` normalized as the bases store it; :class:`Invalid` (Spanish) when it is not a
    document, a phone or an e-mail."""
    value = (value or "").strip()
    if key not in KEYS:
        raise Invalid(gettext("Busque por documento, teléfono o correo."), field="key")
    if not value:
        raise Invalid(gettext("Escriba el dato que busca."), field=key)
    if key == "document":
        number = normalize_document(value)
        if not DOCUMENT_RE.match(number):
            raise Invalid(
                gettext("El documento debe tener entre 4 y 15 letras o dígitos."), field=key
            )
        return number
    if key == "phone":
        candidate = phone_candidate(undo_spreadsheet_damage(value)) if len(value) <= 30 else None
        e164 = classify_phone_exact(candidate)[0] if candidate else None
        if not e164:
            raise Invalid(gettext("El teléfono no es un número válido."), field=key)
        return e164
    email = value.lower()
    if len(email) > 254 or not is_valid_email(email):
        raise Invalid(gettext("El correo no es una dirección válida."), field=key)
    return email


def persons_for(key: str, value: str) -> list[str]:
    """The person keys (``TYPE:NUMBER``) a normalized document, phone or e-mail names."""
    if key == "document":
        types = Contact.objects.filter(doc_number=value).order_by().values_list("doc_type")
        return sorted({f"{t}:{value}" for (t,) in types.distinct()})
    messages = Message.objects.filter(to=value).order_by().values_list("person", flat=True)
    interactions = (
        Interaction.objects.filter(address=value).order_by().values_list("person", flat=True)
    )
    return sorted({*messages.distinct(), *interactions.distinct()} - {""})


def beneficiary_history(
    actor, key: str, value: str, *, page: int = 1, via: str, request=None
) -> History:
    """The history of the person named by ``key`` (document | phone | email) = ``value``,
    page ``page`` (``PAGE_SIZE`` rows, newest first), as ``actor`` may see it.

    ``value`` is normalized here (:func:`normalize_key`). The look-up is audit-logged with the
    key, the rows and the briefs it returned (``via`` is ``ui`` or ``api``).
    """
    value = normalize_key(key, value)
    page = min(max(int(page), 1), MAX_PAGE)
    start, end = (page - 1) * PAGE_SIZE, page * PAGE_SIZE
    persons = persons_for(key, value)
    entries: list[Entry] = []
    if persons:
        visible = Brief.objects.visible_to(actor)
        # Full rows only for the visible briefs; the provider's people see the others as
        # summaries, anyone else does not see them at all (filtered in SQL, so pages stay full).
        everything = bool(actor.sees_all_areas)
        summaries = everything or bool(actor.roles & SUMMARY_ROLES)
        scope = None if summaries else visible.values("pk")
        entries = _entries(persons, scope, end + 1)
        full = (
            None
            if everything
            else set(
                visible.filter(pk__in={e.brief.pk for e in entries}).values_list("pk", flat=True)
            )
        )
        for entry in entries:
            if full is not None and entry.brief.pk not in full:
                _hide(entry)
    has_more = len(entries) > end and page < MAX_PAGE
    entries = entries[start:end]
    _render_contents([e for e in entries if e.detail and e.kind == "message"])
    record(
        "BENEFICIARY_LOOKED_UP",
        actor=actor,
        request=request,
        details={
            key: value,
            "via": via,
            "page": page,
            "rows": len(entries),
            "briefs": list(dict.fromkeys(e.brief.code for e in entries)),
        },
    )
    return History(key, value, persons, page, entries, has_more)


# The columns a row needs (wide models such as Brief cost more to select than to read).
BRIEF_COLUMNS = ("code", "name")
CONTACT_COLUMNS = (
    "doc_type", "doc_number", "first_names", "last_names", "full_name", "mobile", "email",
    "city", "department", "country", "custom",
)  # fmt: skip
NODE_COLUMNS = ("code", "label", "counts_as_contact", "parent")


def _entries(persons: list[str], scope, limit: int) -> list[Entry]:
    """The newest ``limit`` messages, interactions and replies of ``persons``, merged."""
    messages = (
        Message.objects.filter(person__in=persons)
        .filter(Q(attempts__gt=0) | Q(status__in=REACHED))
        .annotate(happened_at=Coalesce("sent_at", "failed_at", "updated_at", "claimed_at"))
        .select_related("sweep__brief", "contact")
        .only(
            "to",
            "status",
            "error_detail",
            "sweep__channel",
            "sweep__template_id",
            *(f"sweep__brief__{c}" for c in BRIEF_COLUMNS),
            *(f"contact__{c}" for c in CONTACT_COLUMNS),
        )
        .order_by("-happened_at", "-id")
    )
    interactions = (
        Interaction.objects.filter(person__in=persons)
        .select_related("brief", "typification__parent__parent")
        .only(
            "code",
            "channel",
            "address",
            "started_at",
            "observations",
            "answers",
            *(f"brief__{c}" for c in BRIEF_COLUMNS),
            *(f"typification__{c}" for c in NODE_COLUMNS),
            *(f"typification__parent__{c}" for c in NODE_COLUMNS),
            *(f"typification__parent__parent__{c}" for c in NODE_COLUMNS),
        )
        .order_by("-started_at", "-id")
    )
    replies = (
        InboundMessage.objects.filter(
            message_id__in=Message.objects.filter(person__in=persons).values("id")
        )
        .select_related("brief", "message__sweep__brief")
        .only(
            "channel",
            "sender",
            "text",
            "at",
            "provider_message_id",
            "opt_out",
            *(f"brief__{c}" for c in BRIEF_COLUMNS),
            *(f"message__sweep__brief__{c}" for c in BRIEF_COLUMNS),
        )
        .order_by("-at", "-id")
    )
    if scope is not None:
        messages = messages.filter(sweep__brief__in=scope)
        interactions = interactions.filter(brief__in=scope)
        replies = replies.filter(
            Q(brief__in=scope) | Q(brief=None, message__sweep__brief__in=scope)
        )
    out = [_message_entry(m) for m in messages[:limit]]
    out += [_interaction_entry(i) for i in interactions[:limit]]
    out += [_reply_entry(r) for r in replies[:limit]]
    out.sort(key=lambda e: e.at, reverse=True)
    return out[:limit]


def _message_entry(message: Message) -> Entry:
    return Entry(
        kind="message",
        brief=message.sweep.brief,
        channel=message.sweep.channel,
        at=message.happened_at,  # type: ignore[attr-defined]
        status=message.status,
        status_label=str(MESSAGE_STATUS.get(message.status, message.status)),
        reference=str(message.pk),
        to=message.to,
        message=message,
    )


def _interaction_entry(interaction: Interaction) -> Entry:
    node = interaction.typification
    if node is None:
        status, path = "untypified", ""
    else:
        status = "contact" if node.counts_as_contact else "no_contact"
        labels = []
        while node is not None:
            labels.append(str(node))
            node = node.parent
        path = " › ".join(reversed(labels))
    return Entry(
        kind="interaction",
        brief=interaction.brief,
        channel=interaction.channel,
        at=interaction.started_at,
        status=status,
        status_label=str(INTERACTION_STATUS[status]),
        reference=interaction.code,
        to=interaction.address,
        typification=path,
        observations=interaction.observations,
        answers=dict(interaction.answers or {}),
    )


def _reply_entry(reply: InboundMessage) -> Entry:
    opt_out = reply.opt_out
    return Entry(
        kind="reply",
        brief=reply.brief or reply.message.sweep.brief,  # type: ignore[union-attr]
        channel=reply.channel,
        at=reply.at,
        status="opt_out" if opt_out else "reply",
        status_label=gettext("Pidió no recibir más") if opt_out else gettext("Respuesta recibida"),
        reference=reply.provider_message_id,
        to=reply.sender,
        content=reply.text,
    )


def _hide(entry: Entry) -> None:
    entry.detail = False
    entry.message = None
    entry.to = entry.subject = entry.content = entry.typification = entry.observations = ""
    entry.answers = {}
    entry.reference = ""


def _render_contents(entries: list[Entry]) -> None:
    """Each message's subject and text as the dispatcher rendered them for that recipient."""
    renderers = _renderers({e.message.sweep.template_id for e in entries if e.message})
    for entry in entries:
        message = entry.message
        assert message is not None
        renderer, with_links = renderers[message.sweep.template_id]
        rendered = renderer.render(
            contact_fields(message.contact), message_id=message.pk if with_links else None
        )
        if rendered.skip_reason:
            entry.content = message.error_detail or rendered.skip_reason
            continue
        entry.subject, entry.content = rendered.subject, rendered.text


# Compiled frozen templates by id (a frozen template and its links no longer change):
# (renderer, every link has its row).
_COMPILED: dict[int, tuple[Renderer, bool]] = {}
_COMPILED_MAX = 512


def _renderers(ids: set[int]) -> dict[int, tuple[Renderer, bool]]:
    """A renderer per template with its tracked links as stored (nothing is written), and
    whether every link has its row (one without was never sent as a token: plain URL then)."""
    out = {pk: _COMPILED[pk] for pk in ids if pk in _COMPILED}
    missing = ids - out.keys()
    if not missing:
        return out
    links: dict[int, dict[str, int]] = {pk: {} for pk in missing}
    rows = TrackedLink.objects.filter(template__in=missing).order_by()
    for template_id, url, pk in rows.values_list("template_id", "url", "id"):
        links[template_id][url] = pk
    for template in Template.objects.filter(pk__in=missing):
        known = links[template.pk]
        compiled = (
            Renderer(template, link_ids=known),
            all(url in known for url in link_urls(template)),
        )
        out[template.pk] = compiled
        if template.frozen_sha256:
            if len(_COMPILED) >= _COMPILED_MAX:
                _COMPILED.clear()
            _COMPILED[template.pk] = compiled
    return out


def entry_dict(entry: Entry) -> dict[str, Any]:
    """An entry as the API returns it (DESIGN §6: brief, channel, at, content, status,
    typification, observations)."""
    return {
        "brief": entry.brief.code,
        "name": entry.brief.name,
        "kind": entry.kind,
        "channel": entry.channel,
        "channel_label": entry.channel_label,
        "at": entry.at,
        "status": entry.status,
        "status_label": entry.status_label,
        "subject": entry.subject,
        "content": entry.content,
        "typification": entry.typification,
        "observations": entry.observations,
        "answers": entry.answers,
        "to": entry.to,
        "reference": entry.reference,
        "detail": entry.detail,
    }
