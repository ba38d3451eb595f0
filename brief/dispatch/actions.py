"""The only write path of sweeps (create, start, pause, resume, cancel, decide on unknowns) and
of what recipients do with their messages (unsubscribe), and of provider accounts (create,
edit, delete, send a test message)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from brief.campaigns.choices import Status
from brief.campaigns.models import Brief
from brief.campaigns.permissions import require_actor
from brief.contacts.actions import add_suppression, normalize_suppression_value
from brief.contacts.choices import BaseStatus, SuppressionChannel, SuppressionSource
from brief.contacts.models import ContactBase, Segment, Suppression
from brief.content.links import read_open_token, read_unsubscribe_token
from brief.core import clock as cluster_clock
from brief.core.audit import record
from brief.core.exceptions import Conflict, Forbidden, Invalid
from brief.core.roles import Role

from . import engine, rules
from .choices import (
    QUEUE_CHANNELS,
    RANK,
    REQUEUE_EFFECTS,
    ErrorEffect,
    Include,
    MessageStatus,
    SweepState,
)
from .models import Attempt, Message, ProviderAccount, Sweep
from .providers.base import OutgoingMessage, ProviderError, SendResult, get_provider
from .providers.options import KINDS, merge_options, option_errors

log = logging.getLogger(__name__)


def runners_for(account: ProviderAccount) -> int:
    """Parallel runners per sweep: one on SQLite (a single writer), more on PostgreSQL."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        return 1
    return max(1, min(int(settings.DISPATCH_RUNNERS_PER_SWEEP), account.concurrency or 1))


# Sweeps run while the campaign executes (after the exit approval).
RUNNABLE_BRIEF_STATES = frozenset({Status.EXECUTING})
OPERATORS = frozenset({Role.PROVEEDOR, Role.ANALISTA_OCM})


def _enqueue(sweep: Sweep, eta=None) -> None:
    """Start one runner chain per slot once the transaction commits (a queue sweep has no
    runners: advisors work its queue)."""
    from .tasks import run_sweep

    if sweep.channel in QUEUE_CHANNELS:
        return

    def start() -> None:
        for slot in range(sweep.runners):
            run_sweep.apply_async((sweep.pk, "", slot), eta=eta)

    transaction.on_commit(start)


@transaction.atomic
def create_sweep(
    brief: Brief,
    *,
    actor,
    channel: str,
    template,
    provider_account: str = "",
    start_at=None,
    include: str = Include.ALL,
    segment: Segment | None = None,
    base: ContactBase | None = None,
    ignore_windows: bool = False,
    ignore_daily_cap: bool = False,
    exception_reason: str = "",
    request=None,
) -> Sweep:
    """Create a sweep, write its outbox and schedule it.

    A sweep on a channel advisors work (``QUEUE_CHANNELS``: agent calls) fills the brief's
    call queue instead of an outbox, with the same recipients (segment, channel, include rule,
    suppression lists, the abroad rule); its progress is its queue. It sends nothing, so it has
    no provider account (``provider_account`` is not needed, and ignored when given).
    """
    require_actor(actor, brief, OPERATORS, gettext("crear barridos"))
    account = _check_sweep_request(
        brief,
        channel=channel,
        template=template,
        provider_account=provider_account,
        include=include,
        exception=ignore_windows or ignore_daily_cap,
        exception_reason=exception_reason,
    )
    base = _sweep_base(brief, segment=segment, base=base)
    sweep = _new_sweep(
        brief,
        actor=actor,
        channel=channel,
        template=template,
        base=base,
        segment=segment,
        account=account,
        include=include,
        start_at=start_at,
        ignore_windows=ignore_windows,
        ignore_daily_cap=ignore_daily_cap,
        exception_reason=exception_reason.strip(),
    )
    if channel in QUEUE_CHANNELS:
        sweep.total = import_string(QUEUE_CHANNELS[channel].fill)(sweep)
        sweep.started_at = sweep.start_at
        Sweep.objects.filter(pk=sweep.pk).update(total=sweep.total, started_at=sweep.started_at)
    else:
        engine.write_outbox(sweep)
    _record_sweep_created(sweep, actor=actor, request=request)
    Sweep.objects.filter(pk=sweep.pk).update(state=SweepState.RUNNING)
    sweep.state = SweepState.RUNNING
    _enqueue(sweep, eta=sweep.start_at if sweep.start_at > cluster_clock.now() else None)
    return sweep


def _check_sweep_request(
    brief: Brief,
    *,
    channel: str,
    template,
    provider_account: str,
    include: str,
    exception: bool,
    exception_reason: str,
) -> ProviderAccount | None:
    """Refuse a sweep the brief's state, channels, template, account or rules do not allow;
    the active provider account that will send it (``None`` for a queue sweep)."""
    if brief.status not in RUNNABLE_BRIEF_STATES:
        raise Conflict(
            gettext(
                "Los barridos se crean con la campaña en ejecución (después de la "
                "aprobación de salida)."
            )
        )
    if channel not in brief.channels:
        raise Invalid(
            gettext("El canal no es uno de los canales del brief."),
            code="bad_channel",
            field="channel",
        )
    if template.brief_id != brief.pk or template.channel != channel:
        raise Invalid(
            gettext("La plantilla no es de este brief o de este canal."),
            code="bad_template",
            field="template",
        )
    account = None
    if channel not in QUEUE_CHANNELS:
        account = ProviderAccount.objects.filter(code=provider_account, active=True).first()
        if account is None or channel not in account.channels:
            raise Invalid(
                gettext(
                    "La cuenta de proveedor no existe, está inactiva o no envía por este canal."
                ),
                code="bad_provider",
                field="provider_account",
            )
        check_template_approved(template, account)
    if include not in Include.values:
        raise Invalid(
            gettext("Regla de destinatarios no válida."), code="bad_include", field="include"
        )
    if exception and not exception_reason.strip():
        raise Invalid(
            gettext("Una excepción a las reglas de contacto necesita un motivo."),
            code="reason_required",
            field="exception_reason",
        )
    return account


def _sweep_base(brief: Brief, *, segment: Segment | None, base: ContactBase | None) -> ContactBase:
    """The ready base a sweep sends to: the segment's, the one given, or the brief's current."""
    if segment is not None:
        base = segment.base
    if base is None:
        base = ContactBase.objects.current(brief)
    if base is None or base.brief_id != brief.pk or base.status != BaseStatus.READY:
        raise Conflict(gettext("El brief no tiene una base de contactos lista."))
    return base


def _new_sweep(
    brief: Brief, *, actor, account: ProviderAccount | None, start_at, **fields
) -> Sweep:
    """The sweep row with the brief's next number (a concurrent creation is a conflict)."""
    number = (Sweep.objects.filter(brief=brief).aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            return Sweep.objects.create(
                brief=brief,
                number=number,
                provider_account=account,
                start_at=start_at or cluster_clock.now(),
                runners=runners_for(account) if account else 1,
                created_by=actor,
                **fields,
            )
    except IntegrityError as exc:
        raise Conflict(gettext("Otro barrido se creó al mismo tiempo; intente de nuevo.")) from exc


def _record_sweep_created(sweep: Sweep, *, actor, request=None) -> None:
    """The creation's audit event, and the contact-rule exception it was granted, if any."""
    record(
        "SWEEP_CREATED",
        actor=actor,
        target=sweep.brief,
        request=request,
        details={
            "sweep": sweep.pk,
            "number": sweep.number,
            "channel": sweep.channel,
            "total": sweep.total,
            "include": sweep.include,
        },
    )
    if sweep.ignore_windows or sweep.ignore_daily_cap:
        record(
            "CONTACT_RULE_EXCEPTION_GRANTED",
            actor=actor,
            target=sweep.brief,
            request=request,
            details={
                "sweep": sweep.pk,
                "windows": sweep.ignore_windows,
                "daily_cap": sweep.ignore_daily_cap,
                "reason": sweep.exception_reason,
            },
        )


def template_refusal(template, account: ProviderAccount) -> str | None:
    """Why ``account`` will not send ``template`` (Spanish), or ``None``: an adapter that
    needs Meta's approval (WhatsApp Cloud API) sends only approved templates."""
    from brief.content.choices import WaStatus

    if template.channel != "whatsapp":
        return None
    if not getattr(get_provider(account), "requires_approved_templates", False):
        return None
    if template.wa_status == WaStatus.APPROVED:
        return None
    state = WaStatus(template.wa_status).label if template.wa_status else gettext("sin sincronizar")
    reason = f" ({template.wa_status_reason})" if template.wa_status_reason else ""
    return gettext(
        "La plantilla de WhatsApp «%(name)s» no está aprobada por Meta "
        "(estado: %(state)s%(reason)s). Sincronice el estado de las plantillas "
        "de la cuenta o corríjala en Meta antes de crear el barrido."
    ) % {"name": template.wa_name, "state": state.lower(), "reason": reason}


def check_template_approved(template, account: ProviderAccount) -> None:
    """Raise 409 when ``account`` refuses ``template`` (see :func:`template_refusal`)."""
    reason = template_refusal(template, account)
    if reason:
        raise Conflict(reason, code="template_not_approved")


def _move(
    sweep: Sweep, *, actor, sources: set[str], target: str, audit: str, request=None, label: str
) -> Sweep:
    require_actor(actor, sweep.brief, OPERATORS, label)
    if target == SweepState.RUNNING and sweep.provider_account is not None:
        check_template_approved(sweep.template, sweep.provider_account)
    with transaction.atomic():
        moved = Sweep.objects.filter(pk=sweep.pk, state__in=sources).update(
            state=target,
            **(
                {"pause_reason": "", "held_by_circuit": False}
                if target == SweepState.RUNNING
                else {}
            ),
            **({"finished_at": timezone.now()} if target == SweepState.CANCELLED else {}),
        )
        if not moved:
            sweep.refresh_from_db()
            raise Conflict(
                gettext("No se puede %(label)s un barrido «%(state)s».")
                % {"label": label, "state": sweep.get_state_display()}
            )
        record(audit, actor=actor, target=sweep.brief, request=request, details={"sweep": sweep.pk})
        if target == SweepState.RUNNING:
            _enqueue(sweep)
    sweep.refresh_from_db()
    return sweep


def pause_sweep(sweep: Sweep, *, actor, request=None) -> Sweep:
    """Stop claiming new chunks (the chunk in flight finishes, well within 2 seconds)."""
    return _move(
        sweep,
        actor=actor,
        sources={SweepState.SCHEDULED, SweepState.RUNNING},
        target=SweepState.PAUSED,
        audit="SWEEP_PAUSED",
        request=request,
        label=gettext("pausar"),
    )


def resume_sweep(sweep: Sweep, *, actor, request=None) -> Sweep:
    return _move(
        sweep,
        actor=actor,
        sources={SweepState.PAUSED},
        target=SweepState.RUNNING,
        audit="SWEEP_RESUMED",
        request=request,
        label=gettext("reanudar"),
    )


def cancel_sweep(sweep: Sweep, *, actor, request=None) -> Sweep:
    """Stop for good; queued messages are never sent."""
    return _move(
        sweep,
        actor=actor,
        sources={SweepState.SCHEDULED, SweepState.RUNNING, SweepState.PAUSED},
        target=SweepState.CANCELLED,
        audit="SWEEP_CANCELLED",
        request=request,
        label=gettext("cancelar"),
    )


def cancel_brief_sweeps(brief: Brief, *, actor, at, **params) -> tuple[dict, dict]:
    """The ``cancel`` guard (campaigns ``ActionSpec.guards``): a cancelled brief sends nothing
    more. Its scheduled, running and paused sweeps are cancelled (queued messages are never
    sent; a runner stops before its next chunk); finished sweeps and every message stay as
    evidence."""
    stoppable = [SweepState.SCHEDULED, SweepState.RUNNING, SweepState.PAUSED]
    ids = list(Sweep.objects.filter(brief=brief, state__in=stoppable).values_list("pk", flat=True))
    if not ids:
        return {}, {}
    Sweep.objects.filter(pk__in=ids, state__in=stoppable).update(
        state=SweepState.CANCELLED, finished_at=at
    )
    for pk in ids:
        record(
            "SWEEP_CANCELLED",
            actor=actor,
            target=brief,
            details={"sweep": pk, "reason": "brief_cancelled"},
        )
    return {}, {"sweeps_cancelled": ids}


def require_finished_sweep(brief: Brief) -> None:
    """The ``deliver_results`` check (campaigns ``ActionSpec.checks``): results come from at
    least one finished sweep."""
    if not Sweep.objects.filter(brief=brief, state=SweepState.DONE).exists():
        raise Conflict(
            gettext(
                "Todavía no hay un barrido terminado: los resultados se entregan después de "
                "al menos uno."
            ),
            code="no_finished_sweep",
        )


@transaction.atomic
def finish_sweep(sweep_id: int) -> bool:
    """Mark a running sweep done once its runners found nothing left to send.

    Claimed by a conditional update, so two runner chains finishing together record it once;
    ``False`` when the sweep was no longer running (paused, cancelled, already done).
    """
    now = timezone.now()
    if not Sweep.objects.filter(pk=sweep_id, state=SweepState.RUNNING).update(
        state=SweepState.DONE, finished_at=now
    ):
        return False
    sweep = Sweep.objects.select_related("brief").get(pk=sweep_id)
    record("SWEEP_FINISHED", target=sweep.brief, details={"sweep": sweep.pk})
    return True


@transaction.atomic
def decide_unknown(sweep: Sweep, *, actor, decision: str, request=None) -> int:
    """Settle messages left ``unknown`` after a crash: count them as sent, or as failed."""
    require_actor(actor, sweep.brief, OPERATORS, gettext("decidir sobre mensajes desconocidos"))
    if decision not in {"sent", "failed"}:
        raise Invalid(
            gettext("Decida «sent» (se envió) o «failed» (no se envió)."),
            code="bad_decision",
            field="decision",
        )
    from .choices import RANK

    changed = Message.objects.filter(sweep=sweep, status=MessageStatus.UNKNOWN).update(
        status=decision,
        rank=RANK[decision],
        error_code=f"decided_{decision}",
        updated_at=timezone.now(),
    )
    record(
        "SWEEP_UNKNOWN_DECIDED",
        actor=actor,
        target=sweep.brief,
        request=request,
        details={"sweep": sweep.pk, "decision": decision, "messages": changed},
    )
    return changed


# --- recipients: open pixel -------------------------------------------------------------


def record_open(token: str) -> bool:
    """Record the e-mail of a genuine pixel token as ``read`` through :func:`hooks.ingest`
    (forward only, idempotent: one event per message); ``False`` for a bad token or a message
    that is gone or was never sent (nothing written)."""
    from .hooks import ingest
    from .providers.base import StatusUpdate

    message_id = read_open_token(token)
    if message_id is None:
        return False
    row = (
        Message.objects.filter(pk=message_id, sweep__channel="email")
        .exclude(provider_message_id="")
        .values_list("provider_message_id", "sweep__provider_account_id")
        .first()
    )
    if row is None:
        return False
    account = ProviderAccount.objects.get(pk=row[1])
    update = StatusUpdate(row[0], MessageStatus.READ, at=timezone.now(), raw={"source": "pixel"})
    ingest(account, [update])
    return True


# --- recipients: unsubscribe --------------------------------------------------------------


def unsubscribe_address(token: str) -> tuple[int, str] | None:
    """``(message id, e-mail)`` of a genuine unsubscribe token, ``None`` otherwise.

    The address is the one the message was sent to (looked up: the token carries no address).
    """
    message_id = read_unsubscribe_token(token)
    if message_id is None:
        return None
    address = Message.objects.filter(pk=message_id).values_list("to", flat=True).first()
    if not address or "@" not in address:
        return None
    return message_id, normalize_suppression_value(address)


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'•' * max(len(local) - 1, 2)}@{domain}"


def is_unsubscribed(email: str) -> bool:
    return Suppression.objects.filter(channel=SuppressionChannel.EMAIL, value=email).exists()


@transaction.atomic
def unsubscribe_email(token: str, *, request=None) -> Suppression:
    """Suppress the e-mail address of an unsubscribe token (POST only; idempotent).

    The entry goes through ``contacts.actions.add_suppression`` (one normalisation, one audit
    event); ``EMAIL_UNSUBSCRIBED`` is written once, when the address was not suppressed yet.
    """
    parsed = unsubscribe_address(token)
    if parsed is None:
        raise Invalid(gettext("El enlace de desuscripción no es válido."), code="bad_token")
    message_id, email = parsed
    already = is_unsubscribed(email)
    entry = add_suppression(
        actor=None,
        channel=SuppressionChannel.EMAIL,
        value=email,
        source=SuppressionSource.UNSUBSCRIBE,
        reason=gettext("Desuscripción desde el enlace del correo (mensaje %(message_id)s).")
        % {"message_id": message_id},
        request=request,
    )
    if not already:
        record(
            "EMAIL_UNSUBSCRIBED",
            actor=None,
            request=request,
            details={"message_id": message_id, "email": mask_email(email)},
        )
    return entry


# --- provider accounts -----------------------------------------------------------------


def _check_admin(actor) -> None:
    if actor is None or not actor.is_superuser:
        raise Forbidden(gettext("Solo un administrador gestiona las cuentas de proveedor."))


def _account_fields(data: dict, current: ProviderAccount | None) -> dict:
    """The account fields of ``data`` checked against the kind table (``Invalid`` otherwise)."""
    kind = data.get("kind", current.kind if current else "")
    spec = KINDS.get(kind)
    if spec is None:
        raise Invalid(
            gettext("Tipo no válido; use uno de: %(kinds)s.") % {"kinds": ", ".join(KINDS)},
            code="bad_kind",
            field="kind",
        )
    fields = {k: v for k, v in data.items() if k not in {"code", "options"}}
    channels = data.get("channels", current.channels if current else list(spec.channels))
    wrong = [c for c in channels if c not in spec.channels]
    if not channels or wrong:
        raise Invalid(
            gettext("Canales no válidos para %(kind)s: use %(channels)s.")
            % {"kind": kind, "channels": ", ".join(spec.channels)},
            code="bad_channels",
            field="channels",
        )
    fields["channels"] = list(dict.fromkeys(channels))
    current_options = current.options if current else {}
    options = merge_options(current_options, data.get("options", {}), partial=current is not None)
    errors = option_errors(kind, options)
    if errors:
        raise Invalid(
            errors[0],
            code="bad_options",
            field="options",
            errors=[{"code": "bad_options", "message": e, "field": "options"} for e in errors],
        )
    fields["options"] = options
    return fields


def _changed_options(before: dict, after: dict) -> list[str]:
    """Names of the options an edit changed (names only: values may be secrets)."""
    return sorted(k for k in {*before, *after} if before.get(k) != after.get(k))


@transaction.atomic
def create_provider_account(*, actor, data: dict, request=None) -> ProviderAccount:
    """Create a provider account of one kind, its options checked against the kind table."""
    _check_admin(actor)
    code = data.get("code", "")
    if ProviderAccount.objects.filter(code=code).exists():
        raise Conflict(
            gettext("Ya existe una cuenta «%(code)s».") % {"code": code},
            code="duplicate",
            field="code",
        )
    fields = _account_fields(data, None)
    fields.setdefault("name", code)
    account = ProviderAccount.objects.create(code=code, **fields)
    record(
        "PROVIDER_ACCOUNT_CREATED",
        actor=actor,
        target=account,
        request=request,
        details={"kind": account.kind, "options": sorted(account.options)},
    )
    return account


@transaction.atomic
def update_provider_account(
    account: ProviderAccount, *, actor, data: dict, request=None
) -> ProviderAccount:
    """Edit an account: options are merged, a secret sent back masked keeps its value."""
    _check_admin(actor)
    if data.get("code", account.code) != account.code:
        raise Invalid(
            gettext("El código de una cuenta no se puede cambiar (es su URL de notificaciones)."),
            code="immutable",
            field="code",
        )
    before = dict(account.options)
    fields = _account_fields(data, account)
    for name, value in fields.items():
        setattr(account, name, value)
    account.save()
    record(
        "PROVIDER_ACCOUNT_UPDATED",
        actor=actor,
        target=account,
        request=request,
        details={
            "fields": sorted(k for k in data if k != "options"),
            "options": _changed_options(before, account.options),
        },
    )
    return account


@transaction.atomic
def delete_provider_account(account: ProviderAccount, *, actor, request=None) -> None:
    """Delete an account that never sent; one with sweeps is kept for their evidence."""
    _check_admin(actor)
    if account.sweeps.exists():
        raise Conflict(
            gettext(
                "La cuenta tiene barridos y se conserva como evidencia; desactívela en lugar de "
                "borrarla."
            ),
            code="has_sweeps",
        )
    record(
        "PROVIDER_ACCOUNT_DELETED",
        actor=actor,
        target=account,
        request=request,
        details={"code": account.code, "kind": account.kind},
    )
    account.delete()


def send_test_message(
    account: ProviderAccount, *, actor, to: str, text: str, channel: str = "", request=None
) -> dict:
    """Send one message through the account's adapter and return the provider's answer."""
    _check_admin(actor)
    channel = channel or (account.channels[0] if account.channels else "")
    if channel not in account.channels:
        raise Invalid(
            gettext("La cuenta no envía por ese canal."), code="bad_channel", field="channel"
        )
    if not to.strip():
        raise Invalid(gettext("Indique el destinatario."), code="required", field="to")
    try:
        provider = get_provider(account)
    except ImportError as exc:
        raise Conflict(
            gettext("El adaptador de esta cuenta no está instalado."), code="adapter_missing"
        ) from exc
    message = OutgoingMessage(
        id=0,
        to=to.strip(),
        channel=channel,
        text=text,
        subject=gettext("Prueba de Brief") if channel == "email" else "",
    )
    try:
        result = provider.send([message])[0]
    except (ProviderError, OSError) as exc:
        result = SendResult(
            0,
            False,
            permanent=getattr(exc, "permanent", False),
            code=getattr(exc, "code", "") or "error",
            detail=str(exc)[:300],
        )
    finally:
        provider.close()
    answer = {
        "accepted": result.accepted,
        "provider_message_id": result.provider_message_id,
        "permanent": result.permanent,
        "code": result.code,
        "detail": result.detail,
    }
    record(
        "PROVIDER_ACCOUNT_TESTED",
        actor=actor,
        target=account,
        request=request,
        details={"channel": channel, "accepted": result.accepted, "code": result.code},
    )
    return answer


def _pause_with_reason(sweep_id: int, reason: str, audit: str) -> bool:
    with transaction.atomic():
        moved = Sweep.objects.filter(
            pk=sweep_id, state__in=[SweepState.SCHEDULED, SweepState.RUNNING]
        ).update(state=SweepState.PAUSED, pause_reason=reason[:300])
        if moved:
            sweep = Sweep.objects.select_related("brief").get(pk=sweep_id)
            record(audit, target=sweep.brief, details={"sweep": sweep_id, "reason": reason[:300]})
    return bool(moved)


def pause_by_provider(sweep_id: int, reason: str) -> bool:
    """The provider stops a sweep (template paused or rejected, token expired…): it is paused
    with ``reason`` shown on the sweep screen until a person resumes it."""
    return _pause_with_reason(sweep_id, reason, "SWEEP_PAUSED_BY_PROVIDER")


def hold_for_circuit(account: ProviderAccount, reason: str) -> list[int]:
    """The account's circuit breaker opened (:mod:`brief.dispatch.circuit`): pause its running
    sweeps with ``reason``, marked to run again by themselves when the circuit closes."""
    held = []
    running = Sweep.objects.filter(provider_account=account, state=SweepState.RUNNING)
    for sweep in running.select_related("brief"):
        if Sweep.objects.filter(pk=sweep.pk, state=SweepState.RUNNING).update(
            state=SweepState.PAUSED, pause_reason=reason[:300], held_by_circuit=True
        ):
            record(
                "SWEEP_PAUSED_BY_CIRCUIT",
                target=sweep.brief,
                details={"sweep": sweep.pk, "reason": reason[:300]},
            )
            held.append(sweep.pk)
    return held


def release_from_circuit(account: ProviderAccount) -> list[int]:
    """The account's circuit half-opened: the sweeps it held run again (their runners probe the
    provider one message at a time until the circuit closes or opens again)."""
    released = []
    held = Sweep.objects.filter(
        provider_account=account, state=SweepState.PAUSED, held_by_circuit=True
    )
    for sweep in held.select_related("brief"):
        with transaction.atomic():
            moved = Sweep.objects.filter(
                pk=sweep.pk, state=SweepState.PAUSED, held_by_circuit=True
            ).update(state=SweepState.RUNNING, pause_reason="", held_by_circuit=False)
            if moved:
                record("SWEEP_RESUMED_BY_CIRCUIT", target=sweep.brief, details={"sweep": sweep.pk})
                _enqueue(sweep)
                released.append(sweep.pk)
    return released


def pause_for_scope_change(brief: Brief, *, reason: str) -> list[int]:
    """Campaigns' ``SCOPE_CHANGE_STEPS["pause"]``: an approved scope change changed what the
    brief's scheduled and running sweeps send; pause them with ``reason`` until the provider
    acknowledges. Returns the ids paused."""
    active = Sweep.objects.filter(
        brief=brief, state__in=[SweepState.SCHEDULED, SweepState.RUNNING]
    ).values_list("pk", flat=True)
    return [pk for pk in active if _pause_with_reason(pk, reason, "SWEEP_PAUSED_FOR_CHANGE")]


def resume_after_scope_change(sweep_ids: list[int], *, actor) -> list[int]:
    """Campaigns' ``SCOPE_CHANGE_STEPS["resume"]``: the provider acknowledged the change;
    the sweeps it paused that are still paused run again. Returns the ids resumed."""
    resumed = []
    for sweep in Sweep.objects.filter(pk__in=sweep_ids, state=SweepState.PAUSED):
        if Sweep.objects.filter(pk=sweep.pk, state=SweepState.PAUSED).update(
            state=SweepState.RUNNING, pause_reason="", held_by_circuit=False
        ):
            record("SWEEP_RESUMED", actor=actor, target=sweep.brief, details={"sweep": sweep.pk})
            _enqueue(sweep)
            resumed.append(sweep.pk)
    return resumed


# a message refused for throughput goes back this much later (unless the provider said when)
THROTTLE_RETRY_SECONDS = engine.UNAVAILABLE_RETRY_SECONDS
THROTTLE_PAUSE_SECONDS = 5.0  # and the account's bucket is drained for this long
SLOW_DOWN_SECONDS = 1.0  # what a provider's temporary trouble (HTTP 5xx) costs the account's rate


def apply_provider_effects(
    account: ProviderAccount,
    items: list[tuple[int, str, str, str]],
    *,
    waits: dict[int, float] | None = None,
) -> None:
    """Carry out the effects of provider error codes on our messages.

    ``items`` are ``(message id, effect, code, detail)`` from send results and from failed
    statuses alike (:class:`~brief.dispatch.choices.ErrorEffect`): a fallback candidate is
    flagged, an opted-out recipient is suppressed for the channel, and a message refused for a
    reason that is not its own (throughput, per-user daily limit, template paused) goes back
    to the queue — with its old provider id cleared, so late callbacks for it change
    nothing — while the account slows down or the sweep pauses with the reason. ``fail``,
    ``retry`` and ``slow_down`` messages are recorded by the runner like any refusal (final or
    retried with backoff); ``slow_down`` also costs the account :data:`SLOW_DOWN_SECONDS` of
    its rate. ``waits`` are the seconds the provider asked to wait (``Retry-After``) per
    message: a throttled message goes back that much later instead of
    :data:`THROTTLE_RETRY_SECONDS`.
    """
    from brief.contacts.actions import add_suppression
    from brief.contacts.choices import SuppressionSource
    from brief.core.exceptions import DomainError

    from .engine import MAX_ATTEMPTS
    from .ratelimit import bucket_for, slow_down

    items = [item for item in items if item[1]]
    if not items:
        return
    now = engine.clock()
    rows = {
        mid: (to, sweep_id, status, attempts, pid, channel)
        for mid, to, sweep_id, status, attempts, pid, channel in Message.objects.filter(
            pk__in=[item[0] for item in items]
        ).values_list(
            "id", "to", "sweep_id", "status", "attempts", "provider_message_id", "sweep__channel"
        )
    }
    by_effect: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for mid, effect, code, detail in items:
        if mid in rows:
            by_effect[effect].append((mid, code, detail))
    if by_effect.get(ErrorEffect.FALLBACK):
        Message.objects.filter(
            pk__in=[m for m, _c, _d in by_effect[ErrorEffect.FALLBACK]],
            status=MessageStatus.FAILED,
        ).update(fallback=True)
    for mid, code, detail in by_effect.get(ErrorEffect.SUPPRESS, []):
        to, _sweep, _status, _attempts, _pid, channel = rows[mid]
        try:
            add_suppression(
                actor=None,
                channel=channel,
                value=to,
                source=SuppressionSource.WHATSAPP_OPTOUT
                if channel == "whatsapp"
                else SuppressionSource.STOP,
                reason=detail[:200],
                evidence={"message": mid, "code": code},
            )
        except DomainError as exc:  # an address that cannot be normalized
            log.warning("suppression of message %s refused: %s", mid, exc)
    requeue: list[tuple[int, str, str, str]] = [
        (mid, effect, code, detail)
        for effect in REQUEUE_EFFECTS
        for mid, code, detail in by_effect.get(effect, [])
    ]
    if requeue:
        _requeue(requeue, rows, now, MAX_ATTEMPTS, waits or {})
    if by_effect.get(ErrorEffect.THROTTLE):
        slow_down(bucket_for(account), THROTTLE_PAUSE_SECONDS)
    elif by_effect.get(ErrorEffect.SLOW_DOWN):
        slow_down(bucket_for(account), SLOW_DOWN_SECONDS)
    paused: dict[int, str] = {}
    for mid, _code, detail in by_effect.get(ErrorEffect.PAUSE_SWEEP, []):
        paused.setdefault(rows[mid][1], detail)
    for sweep_id, reason in paused.items():
        pause_by_provider(sweep_id, reason)


def _requeue(items, rows, now, max_attempts: int, waits: dict[int, float]) -> None:
    """Give messages back to the queue (``not_before`` per effect); a message refused the
    same way too often fails instead. Sweeps that had finished run again for them."""
    movable = [MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.FAILED]
    attempts_rows: list[Attempt] = []
    wake: dict[int, dt.datetime] = {}
    with transaction.atomic():
        for mid, effect, code, detail in items:
            _to, sweep_id, status, attempts, pid, channel = rows[mid]
            # only a refusal of this message (its recipient's daily limit) costs it a try
            counted = status == MessageStatus.SENDING and effect == ErrorEffect.RETRY_NEXT_DAY
            tries = attempts + (1 if counted else 0)
            if effect == ErrorEffect.RETRY_NEXT_DAY:
                when, target = rules.next_day_open(now, channel), MessageStatus.DEFERRED
            elif effect == ErrorEffect.THROTTLE:
                when = now + dt.timedelta(seconds=waits.get(mid, THROTTLE_RETRY_SECONDS))
                target = MessageStatus.QUEUED
            else:
                when, target = None, MessageStatus.QUEUED
            give_up = effect == ErrorEffect.RETRY_NEXT_DAY and tries >= max_attempts
            changes = {
                "rank": RANK[MessageStatus.FAILED if give_up else target],
                "status": MessageStatus.FAILED if give_up else target,
                "error_code": code[:60],
                "error_detail": detail[:300],
                "attempts": tries,
                "updated_at": now,
            }
            if give_up:
                changes.update(permanent=True, failed_at=now)
            else:
                changes.update(not_before=when, provider_message_id="", sent_at=None)
            moved = Message.objects.filter(pk=mid, status__in=movable).update(**changes)
            if moved:
                attempts_rows.append(
                    Attempt(
                        message_id=mid,
                        at=now,
                        outcome="permanent" if give_up else "temporary",
                        code=code[:60],
                        detail=f"{detail} [{pid}]"[:300] if pid else detail[:300],
                    )
                )
                if not give_up:
                    wake[sweep_id] = min(wake.get(sweep_id, when or now), when or now)
        Attempt.objects.bulk_create(attempts_rows)
    for sweep_id, when in wake.items():
        if Sweep.objects.filter(pk=sweep_id, state=SweepState.DONE).update(
            state=SweepState.RUNNING, finished_at=None
        ):
            _enqueue(Sweep.objects.get(pk=sweep_id), eta=when if when > now else None)


def sync_whatsapp_templates(account: ProviderAccount, *, actor=None, request=None) -> dict:
    """Read the templates of ``account``'s WhatsApp Business Account and record each of our
    WhatsApp templates' status at Meta (approved / rejected / paused…)."""
    from brief.content.actions import record_wa_statuses

    if actor is not None and not (actor.is_superuser or actor.has_role(*OPERATORS)):
        raise Forbidden(gettext("Solo OCM o el proveedor sincronizan las plantillas de WhatsApp."))
    provider = get_provider(account)
    fetch = getattr(provider, "fetch_templates", None)
    if fetch is None:
        raise Invalid(
            gettext("Esta cuenta no lista plantillas de WhatsApp."),
            code="bad_provider",
            field="code",
        )
    listed = fetch()
    result = record_wa_statuses(listed)
    record(
        "WHATSAPP_TEMPLATES_SYNCED",
        actor=actor,
        request=request,
        details={"account": account.code, "listed": len(listed), **result},
    )
    return {"account": account.code, "listed": len(listed), **result}
