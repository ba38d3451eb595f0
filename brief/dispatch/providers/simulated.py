"""The simulated provider for the demo: every channel, deterministic by seed.

Options: ``seed``, ``failure_rate`` (refused at send), ``delivery_rate`` (of the accepted),
``bounce_rate`` (e-mail), ``read_rate`` (of the delivered), ``delay_seconds`` before statuses
are reported, ``callback_secret`` (or ``callback_secret_file`` / ``callback_secret_env``).
Statuses come back through the same path a real provider's callback takes
(:func:`brief.dispatch.hooks.handle_payload`, in process), from a Celery task scheduled after
the delay. HTTP callbacks to ``/hooks/<code>/`` are accepted only when signed with the
account's ``callback_secret``: header ``X-Brief-Signature: sha256=<hex>``, the HMAC-SHA256 of
the raw body (:func:`sign`); without a secret the account takes no HTTP callbacks.
"""

from __future__ import annotations

import hashlib
import struct

from django.utils import timezone

from .base import (
    SIGNATURE_HEADER,
    BaseProvider,
    InboundMessage,
    OutgoingMessage,
    SendResult,
    StatusUpdate,
    decode_json,
    sign,
    signed_with_secret,
)

__all__ = ["SIGNATURE_HEADER", "SimulatedProvider", "sign"]


def _draw(seed: str, message_id: int, salt: str) -> float:
    digest = hashlib.blake2b(f"{seed}:{salt}:{message_id}".encode(), digest_size=8).digest()
    return struct.unpack(">Q", digest)[0] / 2**64


# What a real gateway says when a message does not arrive (kept in the message row).
_CODES = {
    "failed": {"code": "sim_undelivered", "detail": "No entregado (simulado)"},
    "bounced": {"code": "sim_bounced", "detail": "Rebotado por el servidor de destino (simulado)"},
}


class SimulatedProvider(BaseProvider):
    """Accepts, fails, delivers, bounces and reads messages at configured rates."""

    store_events = False  # a million simulated callbacks are not worth keeping raw

    def __init__(self, account):
        super().__init__(account)
        o = self.options
        self.seed = str(o.get("seed", "brief"))
        self.failure_rate = float(o.get("failure_rate", 0.02))
        self.delivery_rate = float(o.get("delivery_rate", 0.92))
        self.bounce_rate = float(o.get("bounce_rate", 0.03))
        self.read_rate = float(o.get("read_rate", 0.45))
        self.delay = float(o.get("delay_seconds", 2.0))

    def outcome(self, message_id: int, channel: str) -> list[str]:
        """The statuses this message goes through after being accepted (deterministic)."""
        if _draw(self.seed, message_id, "deliver") >= self.delivery_rate:
            if (
                channel == "email"
                and _draw(self.seed, message_id, "bounce") < self.bounce_rate * 10
            ):
                return ["bounced"]
            return ["failed"]
        if (
            channel in {"whatsapp", "email"}
            and _draw(self.seed, message_id, "read") < self.read_rate
        ):
            return ["delivered", "read"]
        return ["delivered"]

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        for message in batch:
            if _draw(self.seed, message.id, "accept") < self.failure_rate:
                results.append(
                    SendResult(
                        message.id,
                        False,
                        permanent=True,
                        code="sim_rejected",
                        detail="Rechazado por el proveedor simulado",
                    )
                )
                continue
            results.append(SendResult(message.id, True, provider_message_id=f"sim-{message.id}"))
        return results

    def after_bookkeeping(self, results: list[SendResult], batch: list[OutgoingMessage]) -> None:
        """Report the statuses of the accepted messages after ``delay_seconds``."""
        channels = {m.id: m.channel for m in batch}
        now = timezone.now().isoformat()
        events = [
            {"id": r.provider_message_id, "status": status, "at": now, **_CODES.get(status, {})}
            for r in results
            if r.accepted
            for status in self.outcome(r.id, channels.get(r.id, ""))
        ]
        if events:
            from brief.dispatch.tasks import simulated_report

            simulated_report.apply_async(
                (self.account.code, {"events": events}), countdown=self.delay
            )

    def provider_id_for(self, message_id: int) -> str:
        return f"sim-{message_id}"

    def lookup(self, ids: list[int]) -> dict[int, str | None]:
        """The simulator knows what it did with every id."""
        return {
            i: ("failed" if _draw(self.seed, i, "accept") < self.failure_rate else "sent")
            for i in ids
        }

    def parse_payload(self, payload: dict) -> list[StatusUpdate]:
        """``{"events": [{"id": "sim-1", "status": "delivered", "at", "code", "detail"}]}``;
        ``ValueError`` when the shape is wrong (ids and statuses must be strings)."""
        events = payload.get("events", []) if isinstance(payload, dict) else None
        if not isinstance(events, list):
            raise ValueError("events must be a list")
        updates = []
        for e in events:
            if not isinstance(e, dict):
                raise ValueError("each event must be an object")
            pid, status = e.get("id"), e.get("status")
            if not isinstance(pid, str) or not isinstance(status, str):
                raise ValueError("id and status must be strings")
            updates.append(
                StatusUpdate(
                    provider_message_id=pid,
                    status=status,
                    at=e.get("at"),
                    code=str(e.get("code", "")),
                    detail=str(e.get("detail", "")),
                    raw=e,
                )
            )
        return updates

    def verify_callback(self, request) -> bool:
        return signed_with_secret(request, self.secret("callback_secret"))

    def parse_callback(self, request) -> list[StatusUpdate | InboundMessage]:
        return [*self.parse_payload(decode_json(request.body))]
