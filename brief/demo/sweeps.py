"""Demo provider accounts and one sweep on the simulated provider (``brief demo_data``)."""

from __future__ import annotations

from brief.accounts.models import User
from brief.campaigns.choices import Status
from brief.campaigns.models import Brief
from brief.contacts.models import ContactBase
from brief.dispatch import actions, engine
from brief.dispatch.models import ProviderAccount, Sweep

ACCOUNTS = [
    {
        "code": "simulado",
        "name": "Proveedor simulado (demostración)",
        "kind": "simulated",
        "channels": ["sms", "email", "whatsapp", "voice", "call"],
        "options": {"seed": "demo", "delay_seconds": 3},
        "rate_per_second": 200.0,
        "chunk_size": 200,
    },
    {
        "code": "smtp-local",
        "name": "Correo SMTP local (127.0.0.1:1025)",
        "kind": "smtp",
        "channels": ["email"],
        "options": {"host": "127.0.0.1", "port": 1025, "start_tls": False},
        "rate_per_second": 100.0,
        "chunk_size": 200,
    },
]


def ensure_accounts() -> None:
    """The demo provider accounts (once)."""
    for spec in ACCOUNTS:
        ProviderAccount.objects.get_or_create(code=spec["code"], defaults=spec)


def run_to_end(brief: Brief, operator: User, channel: str = "email") -> Sweep:
    """Send a whole sweep of ``brief`` on ``channel`` through the simulated provider now and
    finish it: ``deliver_results`` asks for at least one finished sweep."""
    ensure_accounts()
    sweep = actions.create_sweep(
        brief,
        actor=operator,
        channel=channel,
        template=brief.templates.get(channel=channel),
        provider_account="simulado",
        ignore_windows=True,
        exception_reason="Demostración: se envía fuera de la franja.",
    )
    while engine.Runner(sweep).run(budget_seconds=30)["next"] == "continue":
        pass
    actions.finish_sweep(sweep.pk)
    sweep.refresh_from_db()
    return sweep


def load(command) -> None:
    """Create the demo provider accounts, then one sweep of the executing demo brief (once)."""
    ensure_accounts()
    if Sweep.objects.filter(brief__status=Status.EXECUTING).exclude(channel="call").exists():
        return
    brief = Brief.objects.filter(status=Status.EXECUTING).order_by("id").first()
    operator = User.objects.filter(username="proveedor").first()
    if brief is None or operator is None:
        return
    template = brief.templates.filter(channel="email").first()
    if template is None or ContactBase.objects.current(brief) is None:
        return
    sweep = actions.create_sweep(
        brief,
        actor=operator,
        channel="email",
        template=template,
        provider_account="simulado",
        ignore_windows=True,
        exception_reason="Demostración: se envía fuera de la franja.",
    )
    command.stdout.write(f"Barrido de demostración en {brief.code}: {sweep.total} mensajes.")
