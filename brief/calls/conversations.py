"""Reading WhatsApp conversations and cases: the inbox a user sees, a conversation's thread,
the service window, what an advisor may answer, the cases a user sees (writes live in
:mod:`.actions`).

An inbound WhatsApp message (stored by ``dispatch``, matched to a brief and contact) opens a
conversation or extends the open one of that person on that brief; the person's last message
opens a 24-hour service window: inside it an advisor answers free text, outside it only an
approved WhatsApp template of the brief.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from brief.campaigns.models import Brief
from brief.content.choices import WaStatus
from brief.content.models import Template
from brief.core.exceptions import Forbidden
from brief.dispatch.choices import MessageStatus
from brief.dispatch.models import InboundMessage, Message

from .choices import CONTACT_CENTER_READERS, SERVICE_WINDOW_HOURS, ConversationStatus, Direction
from .models import Case, Conversation, ConversationMessage

WINDOW = dt.timedelta(hours=SERVICE_WINDOW_HOURS)
STATUS_LABELS = dict(MessageStatus.choices)
#: The longest text WhatsApp takes in one message.
MAX_TEXT = 4096


def address_of(sender: str) -> str:
    """A WhatsApp number as the Cloud API writes it: digits only (E.164 without ``+``)."""
    return re.sub(r"\D", "", sender or "")


def visible_cases(user) -> QuerySet:
    """The cases ``user`` sees: those of the briefs they reach."""
    require_reader(user)
    return Case.objects.filter(brief__in=Brief.objects.visible_to(user)).select_related(
        "brief", "contact", "interaction", "closed_by"
    )


def window_closes(last_inbound_at: dt.datetime) -> dt.datetime:
    return last_inbound_at + WINDOW


def require_reader(user) -> None:
    """Conversations and cases are for the contact center, OCM, the process leader and
    internal control (:data:`~.choices.CONTACT_CENTER_READERS`)."""
    if not (
        user.is_authenticated and (user.is_superuser or user.has_role(*CONTACT_CENTER_READERS))
    ):
        raise Forbidden(
            gettext("Las conversaciones y los casos son del centro de contacto y de OCM.")
        )


def inbox(user, *, brief: Brief | None = None, status: str | None = None) -> QuerySet:
    """The conversations ``user`` sees: those of the briefs they reach (an advisor only the
    briefs assigned to them), newest message first."""
    require_reader(user)
    rows = Conversation.objects.filter(brief__in=Brief.objects.visible_to(user))
    if brief is not None:
        rows = rows.filter(brief=brief)
    if status in ConversationStatus.values:
        rows = rows.filter(status=status)
    return rows.select_related("brief", "contact", "advisor", "interaction")


@dataclass(frozen=True)
class Entry:
    """One line of a thread: who wrote, when, what, and the provider's status."""

    direction: str
    at: dt.datetime
    text: str
    status: str = ""
    author: str = ""
    template: str = ""
    campaign: bool = False  # the sweep's message the person answered

    @property
    def inbound(self) -> bool:
        return self.direction == Direction.INBOUND

    @property
    def status_label(self) -> str:
        """The provider's status in Spanish (as the sweeps show it)."""
        return str(STATUS_LABELS.get(self.status, self.status))


def thread(conversation: Conversation) -> list[Entry]:
    """The conversation's messages in time order, preceded by the campaign's message the
    person answered (when dispatch matched their first message to one)."""
    rows = list(
        conversation.messages.select_related("sent_by", "template", "inbound").order_by("at", "id")
    )
    out: list[Entry] = []
    first = next((r.inbound for r in rows if r.inbound_id), None)
    if first is not None and first.message_id:
        sent = Message.objects.filter(pk=first.message_id).select_related("sweep").first()
        if sent is not None and sent.sent_at:
            out.append(
                Entry(
                    Direction.OUTBOUND,
                    sent.sent_at,
                    gettext("Mensaje del barrido %(n)s") % {"n": sent.sweep.number},
                    status=sent.status,
                    campaign=True,
                )
            )
    for row in rows:
        out.append(
            Entry(
                row.direction,
                row.at,
                row.text,
                status=row.status,
                author=row.sent_by.display_name if row.sent_by else "",
                template=row.template.wa_name if row.template else "",
            )
        )
    return out


def approved_templates(brief: Brief) -> QuerySet:
    """The brief's WhatsApp templates Meta approved (what may be sent outside the window)."""
    return Template.objects.filter(
        brief=brief, channel="whatsapp", wa_status=WaStatus.APPROVED
    ).exclude(wa_name="")


def window_reason(conversation: Conversation, now: dt.datetime | None = None) -> str | None:
    """Why free text may not be sent now (``None`` inside the service window)."""
    if conversation.window_open(now):
        return None
    return gettext(
        "La ventana de atención de 24 horas se cerró el %(at)s (24 horas después del último "
        "mensaje de la persona): WhatsApp solo admite una plantilla aprobada."
    ) % {"at": timezone.localtime(conversation.window_closes_at).strftime("%d/%m/%Y %H:%M")}


def last_outbound_status(conversation: Conversation) -> str:
    """The provider's latest status of the advisors' answers ("" when nobody answered)."""
    row = (
        conversation.messages.filter(direction=Direction.OUTBOUND)
        .exclude(provider_message_id="")
        .order_by("-at", "-id")
        .first()
    )
    return row.status if row else ""


def inbound_rows(ids: list[int]) -> QuerySet:
    """Inbound WhatsApp messages (by id) that belong to a brief, oldest first."""
    return (
        InboundMessage.objects.filter(pk__in=ids, channel="whatsapp", brief__isnull=False)
        .defer("raw")  # the provider's raw item: encrypted, not needed here
        .select_related("account", "brief")
        .order_by("at", "id")
    )


def messages_of(conversation: Conversation) -> QuerySet:
    return ConversationMessage.objects.filter(conversation=conversation)
