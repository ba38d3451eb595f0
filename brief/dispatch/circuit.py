"""The circuit breaker of each provider account: stop sending to a provider that does not answer.

Every batch a runner sends reports to :func:`record` how many messages the provider accepted and
how many requests it left unanswered (``SendResult.unavailable``: 5xx, 429, timeouts, refused
connections; a whole batch refused by a :class:`~brief.dispatch.providers.base.ProviderError`
counts once). At the account's threshold of consecutive failures (option
``breaker_failures``, else ``DISPATCH_BREAKER_FAILURES``) the circuit opens: every running
sweep of the account is paused with the reason in Spanish and ``held_by_circuit``, and a probe is
scheduled after the cool-down (option ``breaker_cooldown_seconds``, else
``DISPATCH_BREAKER_COOLDOWN_SECONDS``). The probe (:func:`probe`, also run by beat) half-opens
the circuit and lets the held sweeps run again one message per chunk; an accepted message closes
it (full speed), a failure opens it again for another cool-down. The state is a row per account
(:class:`~brief.dispatch.models.ProviderCircuit`), so every worker on every machine sees it;
transitions are conditional updates, so two workers never both open or close it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from brief.core import calendar

from .choices import CircuitState
from .models import ProviderAccount, ProviderCircuit


def threshold(account: ProviderAccount) -> int:
    """Consecutive unanswered requests that open the account's circuit."""
    value = (account.options or {}).get("breaker_failures") or settings.DISPATCH_BREAKER_FAILURES
    return max(1, int(value))


def cooldown(account: ProviderAccount) -> float:
    """Seconds an open circuit waits before probing the provider again."""
    options = account.options or {}
    value = options.get("breaker_cooldown_seconds") or settings.DISPATCH_BREAKER_COOLDOWN_SECONDS
    return max(1.0, float(value))


def _what(code: str) -> str:
    """The failure as the pause reason names it: an HTTP status, a timeout, no connection."""
    tail = code.rsplit("_", 1)[-1]
    if tail.isdigit():
        return tail
    if tail == "timeout":
        return gettext("sin respuesta a tiempo")
    return gettext("sin conexión")


def reason(account: ProviderAccount, failures: int, code: str, retry_at: dt.datetime) -> str:
    """The pause reason shown on the sweep page."""
    return gettext(
        "Pausado: el proveedor %(name)s no responde (%(n)s fallos seguidos, %(what)s). "
        "El barrido se reanuda solo cuando vuelva a responder; próxima prueba a las %(time)s."
    ) % {
        "name": account.name,
        "n": failures,
        "what": _what(code),
        "time": calendar.local(retry_at).strftime("%H:%M:%S"),
    }


def record(
    account: ProviderAccount, *, accepted: int, failures: int, code: str, now: dt.datetime
) -> str | None:
    """Count one batch's outcome; returns the circuit's new state when this call moved it.

    An accepted message resets the count (and closes a half-open or open circuit); failures
    add up, and a failure while half open reopens at once.
    """
    if not failures:
        if not accepted:
            return None
        if ProviderCircuit.objects.filter(
            account=account, state__in=[CircuitState.OPEN, CircuitState.HALF_OPEN]
        ).update(state=CircuitState.CLOSED, failures=0, reason="", retry_at=None):
            return CircuitState.CLOSED
        ProviderCircuit.objects.filter(account=account, failures__gt=0).update(failures=0)
        return None
    ProviderCircuit.objects.get_or_create(account=account)
    with transaction.atomic():
        row = ProviderCircuit.objects.select_for_update().get(account=account)
        row.failures = failures if accepted else row.failures + failures
        row.last_code = code[:60]
        opening = row.state == CircuitState.HALF_OPEN or (
            row.state == CircuitState.CLOSED and row.failures >= threshold(account)
        )
        if opening:
            row.state = CircuitState.OPEN
            row.opened_at = now
            row.retry_at = now + dt.timedelta(seconds=cooldown(account))
            row.reason = reason(account, row.failures, code, row.retry_at)[:300]
        row.save()
        if opening:
            from .actions import hold_for_circuit
            from .tasks import probe_circuits

            hold_for_circuit(account, row.reason)
            retry_at = row.retry_at
            transaction.on_commit(lambda: probe_circuits.apply_async(eta=retry_at))
    return CircuitState.OPEN if opening else None


def probe(now: dt.datetime) -> list[int]:
    """Half-open every open circuit whose cool-down is over and let its held sweeps run again
    (one message per chunk until an answer closes or reopens it); returns the account ids."""
    from .actions import release_from_circuit

    probed = []
    due = ProviderCircuit.objects.filter(state=CircuitState.OPEN, retry_at__lte=now)
    for account_id in due.values_list("account_id", flat=True):
        if ProviderCircuit.objects.filter(
            account_id=account_id, state=CircuitState.OPEN, retry_at__lte=now
        ).update(state=CircuitState.HALF_OPEN):
            release_from_circuit(ProviderAccount.objects.get(pk=account_id))
            probed.append(account_id)
    return probed
