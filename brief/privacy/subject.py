"""Everything Brief holds about one person, found by document, exported, and erased or
anonymised except what the legal retention keeps (README «Datos personales»).

:func:`find` reads every row that names the person: the contacts of every base with that
document, and — by person key ``TYPE:NUMBER`` (``contacts.person_key``) — the messages, call
queue entries, interactions with their recordings and cases, WhatsApp conversations, the
replies the person sent, the daily-contact marks and the suppressions. Each row becomes an
:class:`Item` with its personal data (what the export gives) and, when it is evidence of a
contact, the date retention keeps it until (``evidence.retention.retain_until``: contract end,
else the brief's end, plus ``BRIEF_RETENTION_YEARS``) and the reason, shown before erasing.

:func:`erase` applies the plan in one transaction: evidence within retention is kept as it is;
anything else is anonymised in place (rows referenced by evidence or by figures stay, emptied
of the person) or deleted (pending calls, daily-contact marks); messages not yet sent are
withdrawn; recording files past retention are deleted once the transaction commits; and a
suppression on every channel (source «Solicitud del titular») keeps the person from being
contacted again. The request, with each item's outcome, is stored as a
:class:`~brief.privacy.models.SubjectRequest` and audit-logged.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from brief.calls.models import (
    Case,
    Conversation,
    ConversationMessage,
    Interaction,
    QueueEntry,
    Recording,
)
from brief.contacts.choices import SuppressionChannel, SuppressionSource
from brief.contacts.models import Contact, Suppression, person_key
from brief.core.audit import record
from brief.dispatch.choices import MessageStatus
from brief.dispatch.models import DailyContact, InboundMessage, Message
from brief.evidence.retention import retain_until

from .models import RequestKind, SubjectRequest

KEEP, ANONYMISE, DELETE, WITHDRAW = "keep", "anonymise", "delete", "withdraw"
ACTION_LABELS = {
    KEEP: gettext_lazy("Se conserva"),
    ANONYMISE: gettext_lazy("Se anonimiza"),
    DELETE: gettext_lazy("Se borra"),
    WITHDRAW: gettext_lazy("Se retira del envío y se anonimiza"),
}
KIND_LABELS = {
    "contact": gettext_lazy("Registro de base de contactos"),
    "message": gettext_lazy("Mensaje de campaña"),
    "queue": gettext_lazy("Llamada en cola"),
    "interaction": gettext_lazy("Interacción del centro de contacto"),
    "recording": gettext_lazy("Grabación"),
    "case": gettext_lazy("Caso"),
    "conversation": gettext_lazy("Conversación de WhatsApp"),
    "inbound": gettext_lazy("Mensaje recibido de la persona"),
    "daily": gettext_lazy("Marca de contacto del día"),
    "suppression": gettext_lazy("Exclusión"),
}
# A message in one of these states, never handed to a provider, is withdrawn (not evidence).
PENDING = (MessageStatus.QUEUED, MessageStatus.DEFERRED)
ERASED_NAME = "Titular suprimido"


@dataclass
class Item:
    """One row that names the person: its personal data (``data``), and, when it is evidence
    within retention, until when and why it is kept."""

    kind: str
    pk: int
    brief: str
    at: dt.datetime | None
    data: dict[str, Any]
    keep_until: dt.date | None = None
    reason: str = ""
    action: str = ANONYMISE

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS[self.action])

    @property
    def day(self) -> str:
        return timezone.localtime(self.at).strftime("%d/%m/%Y") if self.at else ""

    @property
    def until(self) -> str:
        return self.keep_until.strftime("%d/%m/%Y") if self.keep_until else ""

    def as_dict(self, *, with_data: bool = True) -> dict[str, Any]:
        """The item as JSON; without ``data`` for what is stored after the request (a stored
        outcome must not keep what was just erased)."""
        out = asdict(self)
        if not with_data:
            del out["data"]
        out["at"] = self.at.isoformat() if self.at else None
        out["keep_until"] = self.keep_until.isoformat() if self.keep_until else None
        out["kind_label"] = self.kind_label
        out["action_label"] = self.action_label
        out["day"], out["until"] = self.day, self.until
        return out


@dataclass
class Subject:
    """What :func:`find` found: the document asked for, the person keys it names, the items."""

    doc_number: str
    doc_type: str
    persons: list[str]
    items: list[Item] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.items)

    def count(self, action: str) -> int:
        return sum(1 for item in self.items if item.action == action)

    @property
    def kept_count(self) -> int:
        return self.count(KEEP)

    @property
    def erased_count(self) -> int:
        return len(self.items) - self.kept_count


def _evidence(
    item: Item, brief_end: dt.date | None, stored: dt.datetime | None, why: str, today
) -> Item:
    """Mark ``item`` kept when its retention date is not past (``why`` says what it proves)."""
    until = retain_until(brief_end, stored)
    if until >= today:
        item.keep_until = until
        item.action = KEEP
        item.reason = gettext(
            "%(why)s; se conserva hasta el %(until)s por la retención legal de la evidencia "
            "(fin del contrato o de la campaña más los años configurados)."
        ) % {"why": why, "until": until.strftime("%d/%m/%Y")}
    return item


def _at(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def find(doc_number: str, doc_type: str = "", *, today: dt.date | None = None) -> Subject:
    """Every row about the person with document ``doc_number`` (any type unless ``doc_type``
    is given), each with the action erasure would take."""
    today = today or timezone.localdate()
    contacts = list(
        Contact.objects.filter(
            doc_number=doc_number, **({"doc_type": doc_type} if doc_type else {})
        )
        .select_related("base__brief")
        .order_by("pk")
    )
    persons = sorted({person_key(c.doc_type, c.doc_number) for c in contacts})
    if doc_type and not persons:
        persons = [person_key(doc_type, doc_number)]
    subject = Subject(doc_number=doc_number, doc_type=doc_type, persons=persons)
    items = subject.items

    messages = list(
        Message.objects.filter(Q(person__in=persons) | Q(contact__in=contacts))
        .select_related("sweep__brief")
        .order_by("pk")
    )
    kept_contacts: dict[int, Item] = {}
    for m in messages:
        brief = m.sweep.brief
        item = Item(
            "message",
            m.pk,
            brief.code,
            m.sent_at,
            {
                "canal": m.sweep.channel,
                "destino": m.to,
                "estado": m.get_status_display(),
                "enviado": _at(m.sent_at),
                "entregado": _at(m.delivered_at),
                "leido": _at(m.read_at),
            },
        )
        if m.status in PENDING and not m.attempts:
            item.action = WITHDRAW
        elif m.attempts or m.status not in (MessageStatus.SUPPRESSED, MessageStatus.FAILED):
            _evidence(
                item,
                brief.end_date,
                m.sent_at or m.updated_at,
                gettext("Evidencia del envío de la campaña %(code)s") % {"code": brief.code},
                today,
            )
        items.append(item)
        if item.action == KEEP and m.contact_id:
            kept_contacts.setdefault(m.contact_id, item)

    interactions = list(
        Interaction.objects.filter(Q(person__in=persons) | Q(contact__in=contacts))
        .select_related("brief", "typification")
        .order_by("pk")
    )
    for i in interactions:
        item = _evidence(
            Item(
                "interaction",
                i.pk,
                i.brief.code,
                i.started_at,
                {
                    "canal": i.channel,
                    "direccion": i.address,
                    "tipificacion": str(i.typification) if i.typification else "",
                    "observaciones": i.observations,
                    "respuestas": i.answers,
                },
            ),
            i.brief.end_date,
            i.started_at,
            gettext("Evidencia de la gestión del centro de contacto en %(code)s")
            % {"code": i.brief.code},
            today,
        )
        items.append(item)
        if item.action == KEEP and i.contact_id:
            kept_contacts.setdefault(i.contact_id, item)
    by_interaction = {i.pk: i for i in interactions}
    for r in Recording.objects.filter(interaction__in=interactions).order_by("pk"):
        parent = by_interaction[r.interaction_id]
        items.append(
            _evidence(
                Item(
                    "recording",
                    r.pk,
                    parent.brief.code,
                    r.uploaded_at,
                    {
                        "tipo": r.get_kind_display(),
                        "archivo": r.original_name or r.file.name,
                        "sha256": r.sha256,
                    },
                ),
                parent.brief.end_date,
                r.uploaded_at,
                gettext("Grabación de la interacción %(code)s") % {"code": parent.code},
                today,
            )
        )
    for case in Case.objects.filter(interaction__in=interactions).select_related("brief"):
        items.append(
            _evidence(
                Item(
                    "case",
                    case.pk,
                    case.brief.code,
                    case.opened_at,
                    {
                        "codigo": case.code,
                        "resumen": case.summary,
                        "estado": case.get_status_display(),
                    },
                ),
                case.brief.end_date,
                case.opened_at,
                gettext("Caso radicado ante ICETEX %(code)s") % {"code": case.code},
                today,
            )
        )

    conversations = list(
        Conversation.objects.filter(contact__in=contacts).select_related("brief").order_by("pk")
    )
    for conv in conversations:
        texts = list(conv.messages.values_list("direction", "text", "at"))
        items.append(
            _evidence(
                Item(
                    "conversation",
                    conv.pk,
                    conv.brief.code,
                    conv.opened_at,
                    {
                        "numero": conv.address,
                        "mensajes": [
                            {"sentido": d, "texto": t, "fecha": _at(at)} for d, t, at in texts
                        ],
                    },
                ),
                conv.brief.end_date,
                conv.opened_at,
                gettext("Conversación de atención de la campaña %(code)s")
                % {"code": conv.brief.code},
                today,
            )
        )
    for inbound in (
        InboundMessage.objects.filter(Q(contact__in=contacts) | Q(message__in=messages))
        .defer("raw")  # the provider's raw item (encrypted) is not part of the answer
        .select_related("brief")
    ):
        code = inbound.brief.code if inbound.brief else ""
        items.append(
            _evidence(
                Item(
                    "inbound",
                    inbound.pk,
                    code,
                    inbound.at,
                    {"remitente": inbound.sender, "texto": inbound.text, "canal": inbound.channel},
                ),
                inbound.brief.end_date if inbound.brief else None,
                inbound.at,
                gettext("Respuesta de la persona a un envío"),
                today,
            )
        )
    for q in QueueEntry.objects.filter(contact__in=contacts, closed=False).select_related("brief"):
        items.append(
            Item(
                "queue",
                q.pk,
                q.brief.code,
                q.next_attempt_at,
                {"intentos": q.attempts},
                None,
                "",
                DELETE,
            )
        )
    for d in DailyContact.objects.filter(person__in=persons).order_by("day"):
        items.append(
            Item(
                "daily",
                d.pk,
                "",
                None,
                {"persona": d.person, "dia": d.day.isoformat()},
                None,
                "",
                DELETE,
            )
        )

    for c in contacts:
        brief = c.base.brief
        item = Item(
            "contact",
            c.pk,
            brief.code if brief else "",
            c.base.created_at,
            {
                "documento": f"{c.doc_type} {c.doc_number}",
                "nombre": c.full_name,
                "celular": c.mobile,
                "fijo": c.landline,
                "telefonos": c.phones,
                "correo": c.email,
                "correos": c.emails,
                "ciudad": c.city,
                "departamento": c.department,
                "pais": c.country,
                "campos_adicionales": c.custom,
                "observaciones": c.observations,
            },
        )
        evidence = kept_contacts.get(c.pk)
        if evidence is not None:
            item.action, item.keep_until = KEEP, evidence.keep_until
            item.reason = gettext(
                "Datos del destinatario de una evidencia que se conserva (%(kind)s de %(code)s); "
                "se conserva hasta el %(until)s."
            ) % {
                "kind": evidence.kind_label.lower(),
                "code": evidence.brief,
                "until": evidence.keep_until.strftime("%d/%m/%Y") if evidence.keep_until else "",
            }
        items.append(item)

    for s in Suppression.objects.filter(value__in=persons):
        items.append(
            Item(
                "suppression",
                s.pk,
                "",
                s.created_at,
                {
                    "canal": s.get_channel_display(),
                    "valor": s.value,
                    "origen": s.get_source_display(),
                },
                None,
                gettext("Se conserva para no volver a contactar a la persona."),
                KEEP,
            )
        )
    return subject


def export(subject: Subject) -> dict[str, Any]:
    """The person's data as one JSON-ready document (what an access request returns)."""
    return {
        "documento": subject.doc_number,
        "tipo_documento": subject.doc_type,
        "personas": subject.persons,
        "generado": timezone.now().isoformat(),
        "elementos": [item.as_dict() for item in subject.items],
    }


def _ids(items: Iterable[Item], kind: str, action: str) -> list[int]:
    return [i.pk for i in items if i.kind == kind and i.action == action]


def _apply(subject: Subject) -> list[str]:
    """Carry out each item's action; returns the recording files to delete after commit."""
    items = subject.items
    Message.objects.filter(pk__in=_ids(items, "message", WITHDRAW), status__in=PENDING).update(
        status=MessageStatus.SUPPRESSED,
        error_code="data_subject",
        error_detail=gettext("Retirado por solicitud de supresión del titular"),
        to="",
        person="",
        evidence=None,
        updated_at=timezone.now(),
    )
    Message.objects.filter(pk__in=_ids(items, "message", ANONYMISE)).update(
        to="", person="", evidence=None
    )
    Interaction.objects.filter(pk__in=_ids(items, "interaction", ANONYMISE)).update(
        address="", person="", observations="", answers={}, contact=None
    )
    files = []
    for recording in Recording.objects.filter(pk__in=_ids(items, "recording", ANONYMISE)):
        if recording.file:
            files.append(recording.file.name)
        recording.file = ""
        recording.url = ""
        recording.original_name = ""
        recording.save(update_fields=["file", "url", "original_name"])
    Case.objects.filter(pk__in=_ids(items, "case", ANONYMISE)).update(
        person="", summary="", contact=None
    )
    anonymous_conversations = _ids(items, "conversation", ANONYMISE)
    Conversation.objects.filter(pk__in=anonymous_conversations).update(address="", contact=None)
    ConversationMessage.objects.filter(conversation__in=anonymous_conversations).update(text="")
    InboundMessage.objects.filter(pk__in=_ids(items, "inbound", ANONYMISE)).update(
        sender="", text="", raw={}, contact=None
    )
    QueueEntry.objects.filter(pk__in=_ids(items, "queue", DELETE), closed=False).delete()
    DailyContact.objects.filter(pk__in=_ids(items, "daily", DELETE)).delete()
    Contact.objects.filter(pk__in=_ids(items, "contact", ANONYMISE)).update(
        first_names="",
        last_names="",
        full_name=ERASED_NAME,
        mobile="",
        landline="",
        phones=[],
        email="",
        emails=[],
        city="",
        department="",
        country="",
        custom={},
        observations="",
        can_sms=False,
        can_whatsapp=False,
        can_email=False,
        can_voice=False,
        can_call=False,
    )
    # The document goes last: ``find`` read it, and the suppression below keeps the key.
    for pk in _ids(items, "contact", ANONYMISE):
        Contact.objects.filter(pk=pk).update(doc_number=f"SUP{pk}"[:20])
    return files


def erase(subject: Subject, *, actor, reference: str, request=None) -> SubjectRequest:
    """Erase or anonymise what :func:`find` planned, block future contact, store the request
    with each item's outcome and audit it; all or nothing."""
    with transaction.atomic():
        files = _apply(subject)
        for person in subject.persons:
            Suppression.objects.update_or_create(
                channel=SuppressionChannel.ALL,
                value=person,
                defaults={
                    "source": SuppressionSource.DATA_SUBJECT,
                    "reason": gettext("Solicitud de supresión del titular %(ref)s")
                    % {"ref": reference},
                    "created_by": actor,
                },
            )
        handled = _store(subject, RequestKind.ERASURE, actor=actor, reference=reference)
        record(
            "DATA_SUBJECT_ERASED",
            actor=actor,
            target=handled,
            request=request,
            details={
                "documento": subject.doc_number,
                "radicado": reference,
                "conservados": subject.count(KEEP),
                "anonimizados": subject.count(ANONYMISE) + subject.count(WITHDRAW),
                "borrados": subject.count(DELETE),
            },
        )
        storage = Recording._meta.get_field("file").storage  # type: ignore[attr-defined]

        def delete_files() -> None:
            for name in files:
                storage.delete(name)

        transaction.on_commit(delete_files)
    return handled


def export_request(subject: Subject, *, actor, reference: str, request=None) -> SubjectRequest:
    """Store and audit an access request (the export the person is given)."""
    with transaction.atomic():
        handled = _store(subject, RequestKind.EXPORT, actor=actor, reference=reference)
        record(
            "DATA_SUBJECT_EXPORTED",
            actor=actor,
            target=handled,
            request=request,
            details={"documento": subject.doc_number, "elementos": len(subject.items)},
        )
    return handled


def _store(subject: Subject, kind: str, *, actor, reference: str) -> SubjectRequest:
    handled = SubjectRequest.objects.create(
        code=f"tmp-{uuid.uuid4().hex[:16]}",
        kind=kind,
        doc_type=subject.doc_type,
        doc_number=subject.doc_number,
        reference=reference,
        handled_by=actor,
        outcome={
            "personas": subject.persons,
            "elementos": [item.as_dict(with_data=False) for item in subject.items],
        },
    )
    handled.code = f"TIT-{handled.handled_at:%Y}-{handled.pk:05d}"
    handled.save(update_fields=["code"])
    return handled


def looked_up(subject: Subject, *, actor, via: str, request=None) -> None:
    """Audit a search (who, which document, how many rows, ``ui`` or ``api``)."""
    record(
        "DATA_SUBJECT_SEARCHED",
        actor=actor,
        request=request,
        details={"documento": subject.doc_number, "elementos": len(subject.items), "via": via},
    )
