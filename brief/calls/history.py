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
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import DEFERRED
from django.utils import timezone
from django.utils.dateparse import parse_datetime
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
from brief.dispatch.models import InboundMessage, Message, Sweep

from .models import Interaction, TypificationNode

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
    template_id: int | None = field(default=None, repr=False)  # the sweep's template

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
    if key == "document":  # SQL: the common case, and the ORM's compilation is most of its cost
        table = connection.ops.quote_name(Contact._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT doc_type FROM {table} WHERE doc_number = %s", [value])
            return sorted({f"{t}:{value}" for (t,) in cursor.fetchall()})
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


# --- the rows, in SQL ----------------------------------------------------------------------
# One indexed query per source (``message_person``, ``interaction_person``, the replies by
# their message), each cut at ``limit`` and sorted in the database, written once as SQL: a
# look-up reads ~10-50 rows, and compiling three ORM querysets with their joins cost ~15 ms of
# CPU each time, about ten times the reading (docs/perf/2026-12-01-history-and-claims.md).
# The rows become light objects (``Model.from_db`` with the columns read, as ``.only()``
# would); nothing here writes.

CONTACT_COLUMNS = (
    "doc_type", "doc_number", "first_names", "last_names", "full_name", "mobile", "email",
    "city", "department", "country", "custom",
)  # fmt: skip

_MESSAGES_SQL = (
    'SELECT m.id, m.contact_id, m."to", m.status, m.error_detail, '
    "COALESCE(m.sent_at, m.failed_at, m.updated_at, m.claimed_at) AS happened_at, "
    "s.channel, s.template_id, s.brief_id, "
    + ", ".join(f"c.{c}" for c in CONTACT_COLUMNS)
    + " FROM {message} m JOIN {sweep} s ON s.id = m.sweep_id "
    "JOIN {contact} c ON c.id = m.contact_id "
    "WHERE m.person IN ({persons}) AND (m.attempts > 0 OR m.status IN ({reached})){scope} "
    "ORDER BY happened_at DESC, m.id DESC LIMIT %s"
)
_INTERACTIONS_SQL = (
    "SELECT i.code, i.channel, i.brief_id, i.address, i.started_at, i.observations, i.answers, "
    "n1.code, n1.label, n1.counts_as_contact, n2.code, n2.label, n3.code, n3.label "
    "FROM {interaction} i LEFT JOIN {node} n1 ON n1.id = i.typification_id "
    "LEFT JOIN {node} n2 ON n2.id = n1.parent_id LEFT JOIN {node} n3 ON n3.id = n2.parent_id "
    "WHERE i.person IN ({persons}){scope} ORDER BY i.started_at DESC, i.id DESC LIMIT %s"
)
_REPLIES_SQL = (
    "SELECT r.channel, r.sender, r.text, r.at, r.provider_message_id, r.opt_out, "
    "COALESCE(r.brief_id, s.brief_id) "
    "FROM {message} m JOIN {inbound} r ON r.message_id = m.id "
    "JOIN {sweep} s ON s.id = m.sweep_id "
    "WHERE m.person IN ({persons}){scope} ORDER BY r.at DESC, r.id DESC LIMIT %s"
)


def _tables() -> dict[str, str]:
    models = {
        "message": Message, "sweep": Sweep, "contact": Contact, "interaction": Interaction,
        "node": TypificationNode, "inbound": InboundMessage,
    }  # fmt: skip
    return {key: connection.ops.quote_name(m._meta.db_table) for key, m in models.items()}


def _when(value) -> dt.datetime:
    """A datetime as the database returned it (SQLite: text) → aware datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def _light(model, values: dict[str, Any]):
    """An instance of ``model`` with only ``values`` loaded (the others deferred), as
    ``.only()`` would make it; the positional constructor is several times cheaper."""
    instance = model(*(values.get(f.attname, DEFERRED) for f in model._meta.concrete_fields))
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def _json(value) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _entries(persons: list[str], scope, limit: int) -> list[Entry]:
    """The newest ``limit`` messages, interactions and replies of ``persons``, merged."""
    tables = _tables()
    marks = ", ".join(["%s"] * len(persons))
    scope_sql, scope_params = "", []
    if scope is not None:
        scope_sql, scope_params = scope.order_by().query.sql_with_params()
    briefs: dict[int, Brief] = {}

    def brief(pk: int) -> Brief:
        if pk not in briefs:
            briefs[pk] = _light(Brief, {"id": pk, "code": "", "name": ""})
        return briefs[pk]

    def run(sql: str, where_scope: str, extra: list) -> list[tuple]:
        text = sql.format(
            persons=marks, scope=f" AND {where_scope} IN ({scope_sql})" if scope_sql else "",
            **tables, reached=", ".join(["%s"] * len(extra)),
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(text, [*persons, *extra, *scope_params, limit])
            return cursor.fetchall()

    out = [
        _message_entry(row, brief(row[8]))
        for row in run(_MESSAGES_SQL, "s.brief_id", sorted(REACHED))
    ]
    out += [
        _interaction_entry(row, brief(row[2])) for row in run(_INTERACTIONS_SQL, "i.brief_id", [])
    ]
    out += [
        _reply_entry(row, brief(row[6]))
        for row in run(_REPLIES_SQL, "COALESCE(r.brief_id, s.brief_id)", [])
    ]
    if briefs:  # code and name of the briefs of the rows, in one query
        table = connection.ops.quote_name(Brief._meta.db_table)
        with connection.cursor() as cursor:
            ids = ", ".join(["%s"] * len(briefs))
            cursor.execute(f"SELECT id, code, name FROM {table} WHERE id IN ({ids})", list(briefs))
            for pk, code, name in cursor.fetchall():
                briefs[pk].code, briefs[pk].name = code, name
    out.sort(key=lambda e: e.at, reverse=True)
    return out[:limit]


def _message_entry(row: tuple, brief: Brief) -> Entry:
    pk, contact_id, to, status, error_detail, at, channel, template_id, _brief = row[:9]
    message = _light(
        Message,
        {
            "id": pk,
            "contact_id": contact_id,
            "to": to,
            "status": status,
            "error_detail": error_detail,
        },
    )
    contact = dict(zip(CONTACT_COLUMNS, row[9:], strict=True))
    contact["custom"] = _json(contact["custom"])
    message.contact = _light(Contact, {"id": contact_id, **contact})
    return Entry(
        kind="message",
        brief=brief,
        channel=channel,
        at=_when(at),
        status=status,
        status_label=str(MESSAGE_STATUS.get(status, status)),
        reference=str(pk),
        to=to,
        message=message,
        template_id=template_id,
    )


def _interaction_entry(row: tuple, brief: Brief) -> Entry:
    code, channel, _brief, address, started_at, observations, answers = row[:7]
    code1, label1, counts, code2, label2, code3, label3 = row[7:]  # leaf, parent, root
    if code1 is None:
        status, path = "untypified", ""
    else:
        status = "contact" if counts else "no_contact"
        labels = [
            f"{c} {lb}".strip()
            for c, lb in ((code3, label3), (code2, label2), (code1, label1))
            if c is not None
        ]
        path = " › ".join(labels)
    return Entry(
        kind="interaction",
        brief=brief,
        channel=channel,
        at=_when(started_at),
        status=status,
        status_label=str(INTERACTION_STATUS[status]),
        reference=code,
        to=address,
        typification=path,
        observations=observations,
        answers=dict(_json(answers) or {}),
    )


def _reply_entry(row: tuple, brief: Brief) -> Entry:
    channel, sender, text, at, provider_message_id, opt_out, _brief = row
    return Entry(
        kind="reply",
        brief=brief,
        channel=channel,
        at=_when(at),
        status="opt_out" if opt_out else "reply",
        status_label=gettext("Pidió no recibir más") if opt_out else gettext("Respuesta recibida"),
        reference=provider_message_id,
        to=sender,
        content=text,
    )


def _hide(entry: Entry) -> None:
    entry.detail = False
    entry.message = None
    entry.to = entry.subject = entry.content = entry.typification = entry.observations = ""
    entry.answers = {}
    entry.reference = ""


def _render_contents(entries: list[Entry]) -> None:
    """Each message's subject and text as the dispatcher rendered them for that recipient."""
    renderers = _renderers({e.template_id for e in entries if e.template_id is not None})
    for entry in entries:
        message = entry.message
        assert message is not None
        assert entry.template_id is not None
        renderer, with_links = renderers[entry.template_id]
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
