"""A provider that keeps messages in memory, for tests (like Django's locmem mail backend)."""

from __future__ import annotations

import threading

from .base import BaseProvider, OutgoingMessage, SendResult

outbox: list[OutgoingMessage] = []
_lock = threading.Lock()


class LocmemProvider(BaseProvider):
    """Accepts everything (or fails the ids listed in options["fail"]) and remembers it."""

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        fail = set(self.options.get("fail_to", []))
        results = []
        with _lock:
            for message in batch:
                if message.to in fail:
                    results.append(SendResult(message.id, False, permanent=True, code="rejected"))
                    continue
                outbox.append(message)
                results.append(
                    SendResult(message.id, True, provider_message_id=f"loc-{message.id}")
                )
        return results
