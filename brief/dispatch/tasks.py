"""Celery tasks of the dispatch engine: thin, take IDs, safe to run twice."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q
from kombu.exceptions import OperationalError as BrokerError

from brief.core import clock as cluster_clock

from .choices import QUEUE_CHANNELS, SweepState
from .engine import close_broken_connection
from .models import RunnerLease, Sweep

log = logging.getLogger(__name__)

BUDGET_SECONDS = 20.0
LEASE_MARGIN_SECONDS = 15.0
#: Seconds before a runner whose database went away tries again.
DB_RETRY_SECONDS = 2.0


def budget_seconds() -> float:
    """How long one run_sweep task sends before it hands over to the next in its chain."""
    return float(getattr(settings, "DISPATCH_RUNNER_BUDGET_SECONDS", BUDGET_SECONDS))


def lease_margin_seconds() -> float:
    """How long past its expected end a chain keeps its slot (a lost task frees it then)."""
    return float(getattr(settings, "DISPATCH_LEASE_MARGIN_SECONDS", LEASE_MARGIN_SECONDS))


def _lease(sweep_id: int, slot: int, token: str, until) -> bool:
    """Take (or keep, with the same token) one runner slot of a sweep."""
    now = cluster_clock.now()
    RunnerLease.objects.get_or_create(sweep_id=sweep_id, slot=slot)
    return bool(
        RunnerLease.objects.filter(sweep_id=sweep_id, slot=slot)
        .filter(Q(until__isnull=True) | Q(until__lt=now) | Q(token=token))
        .update(until=until, token=token)
    )


def _release(sweep_id: int, slot: int, token: str) -> None:
    RunnerLease.objects.filter(sweep_id=sweep_id, slot=slot, token=token).update(
        until=None, token=""
    )


@shared_task(name="brief.dispatch.tasks.run_sweep", acks_late=True)
def run_sweep(sweep_id: int, token: str = "", slot: int = 0) -> str:
    """Send chunks of a sweep for a while, then continue, reschedule or finish.

    One runner chain per slot (``Sweep.runners`` slots run in parallel, claiming disjoint
    chunks): the chain holds the slot's lease by ``token`` and passes it on; another task only
    takes the slot over once the lease has expired.

    The database going away (a PostgreSQL restart) does not break the chain: the task hands
    over to itself a moment later with the same token (the runner itself waits for the
    database around what it has sent, so a result is never lost). A broker that cannot take
    the next task (a Redis restart) frees the slot instead, so the kick every worker runs when
    it reconnects (:class:`brief.celery.KickOnReconnect`) starts a new chain at once.
    """
    try:
        return _run_sweep(sweep_id, token, slot)
    except DatabaseError as exc:
        if run_sweep.app.conf.task_always_eager:
            raise
        log.warning("sweep %s slot %s: database away (%s); again shortly", sweep_id, slot, exc)
        close_broken_connection()
        _hand_over(sweep_id, token, slot, countdown=DB_RETRY_SECONDS)
        return "retry"


def _hand_over(sweep_id: int, token: str, slot: int, *, eta=None, countdown=None) -> bool:
    """Queue the next task of a chain; if the broker cannot take it, free the slot (when the
    database allows) for the kick that follows the broker's return."""
    try:
        run_sweep.apply_async((sweep_id, token, slot), eta=eta, countdown=countdown)
    except (BrokerError, OSError) as exc:
        log.warning("sweep %s slot %s: broker unavailable (%s); slot freed", sweep_id, slot, exc)
        try:
            _release(sweep_id, slot, token)
        except DatabaseError:
            close_broken_connection()  # the lease then expires by itself
        return False
    return True


def _run_sweep(sweep_id: int, token: str, slot: int) -> str:
    from .actions import finish_sweep
    from .engine import Runner, reconcile_stuck

    sweep = (
        Sweep.objects.select_related("provider_account", "template", "base", "segment")
        .filter(pk=sweep_id)
        .first()
    )
    if sweep is None or sweep.state != SweepState.RUNNING or sweep.channel in QUEUE_CHANNELS:
        if token:
            _release(sweep_id, slot, token)  # a paused sweep's chain gives its slot back
        return "stopped"
    now = cluster_clock.now()
    token = token or uuid.uuid4().hex
    if sweep.start_at > now:
        if run_sweep.app.conf.task_always_eager:
            return "scheduled"  # eager mode (tests): nothing can wait for the start time
        until = sweep.start_at + dt.timedelta(seconds=lease_margin_seconds())
        if _lease(sweep_id, slot, token, until):
            _hand_over(sweep_id, token, slot, eta=sweep.start_at)
            return "scheduled"
        return "busy"
    budget, margin = budget_seconds(), lease_margin_seconds()
    if not _lease(sweep_id, slot, token, now + dt.timedelta(seconds=budget + margin)):
        return "busy"  # another runner chain has this slot
    Sweep.objects.filter(pk=sweep_id, started_at__isnull=True).update(started_at=now)
    reconcile_stuck(sweep_id=sweep_id)
    outcome = Runner(sweep).run(budget_seconds=budget)
    step = outcome["next"]
    if run_sweep.app.conf.task_always_eager and step in {"continue", "at"}:
        _release(sweep_id, slot, token)
        return step  # eager mode (tests) has no clock to wait on: the caller drives
    if step == "continue":
        _lease(sweep_id, slot, token, cluster_clock.now() + dt.timedelta(seconds=budget + margin))
        _hand_over(sweep_id, token, slot)
    elif step == "at":
        _lease(sweep_id, slot, token, outcome["at"] + dt.timedelta(seconds=margin))
        _hand_over(sweep_id, token, slot, eta=outcome["at"])
    else:
        if step == "done":
            finish_sweep(sweep_id)
        _release(sweep_id, slot, token)
    return step


@shared_task(name="brief.dispatch.tasks.probe_circuits")
def probe_circuits() -> int:
    """Scheduled when a provider account's circuit opens (and by beat, in case a broker lost
    that task): once the cool-down is over, its held sweeps probe the provider again."""
    from .circuit import probe
    from .engine import clock

    return len(probe(clock()))


@shared_task(name="brief.dispatch.tasks.simulated_report")
def simulated_report(account_code: str, payload: dict) -> dict:
    """The simulated provider's status callback, through the same path as real ones."""
    from .hooks import handle_payload

    return handle_payload(account_code, payload)


@shared_task(name="brief.dispatch.tasks.purge_callback_evidence")
def purge_callback_evidence() -> dict:
    """Beat: drop raw callback payloads and status events past their retention."""
    from .hooks import purge_evidence

    return purge_evidence()


@shared_task(name="brief.dispatch.tasks.kick_running_sweeps")
def kick_running_sweeps(follow_up: bool = False) -> int:
    """Settle crash leftovers, then start a runner for every running sweep that has none.

    With ``follow_up`` (at worker start), sweeps still leased by a runner that may have died
    get one more look when their lease expires.
    """
    from .engine import reconcile_stuck

    reconcile_stuck()
    now = cluster_clock.now()
    expired = Q(until__isnull=True) | Q(until__lt=now)
    leases = RunnerLease.objects.filter(sweep__state=SweepState.RUNNING)
    free = list(leases.filter(expired).values_list("sweep_id", "slot"))
    for sweep_id, slot in free:
        run_sweep.delay(sweep_id, "", slot)
    if follow_up:
        later = leases.filter(until__gte=now).order_by("-until").first()
        if later is not None and later.until is not None:
            kick_running_sweeps.apply_async(eta=later.until + dt.timedelta(seconds=1))
    return len(free)


@worker_ready.connect
def _recover_on_start(sender=None, **kwargs) -> None:
    """A worker that (re)starts resumes the sweeps a dead worker left behind."""
    kick_running_sweeps.delay(follow_up=True)


@worker_ready.connect
def _smpp_binds_on_start(sender=None, **kwargs) -> None:
    """The worker holds the SMPP binds: receipts and MO keep coming in between sweeps."""
    from .providers import smpp

    smpp.start_listening()


@worker_shutdown.connect
def _smpp_unbind_on_stop(sender=None, **kwargs) -> None:
    from .providers import smpp

    smpp.shutdown()


@shared_task(name="brief.dispatch.tasks.poll_bounce_mailboxes")
def poll_bounce_mailboxes() -> dict[str, dict]:
    """Beat: read every SMTP account's bounce mailbox (``imap_host`` set) once.

    Safe to run twice: each mail is flagged ``\\Seen`` after it is ingested, and ingesting the
    same report again changes nothing. One account's unreachable server does not stop the rest.
    """
    from .mailbox import poll
    from .models import ProviderAccount

    out: dict[str, dict] = {}
    for account in ProviderAccount.objects.filter(kind="smtp", options__imap_host__isnull=False):
        try:
            out[account.code] = poll(account)
        except (OSError, ConnectionError, TimeoutError) as exc:
            log.warning("bounce mailbox of %s not read: %s", account.code, exc)
            out[account.code] = {"error": str(exc)[:200]}
    return out


@shared_task(name="brief.dispatch.tasks.sync_whatsapp_templates")
def sync_whatsapp_templates() -> dict:
    """Read Meta's template statuses through every active WhatsApp Cloud API account."""
    from .actions import sync_whatsapp_templates as sync
    from .models import ProviderAccount
    from .providers.base import ProviderError

    out = {}
    for account in ProviderAccount.objects.filter(active=True, kind="whatsapp_cloud"):
        try:
            out[account.code] = sync(account)
        except ProviderError as exc:
            out[account.code] = {"error": str(exc)}
    return out
