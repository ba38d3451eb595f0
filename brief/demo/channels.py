"""The demo's real channels: a loopback SMSC and Graph API stand-in, the provider accounts that
point at them, and a brief ready to send through them.

``brief demo_data`` creates the accounts ``smpp-demo`` (SMPP 3.4 to the SMSC) and ``wa-demo``
(WhatsApp Cloud API to the stand-in) through the provider-accounts actions, and the executing
brief «Recordatorio de pago por SMS y WhatsApp» with its base, an SMS template and an approved
WhatsApp template. ``brief demo_peers`` (started by ``brief serve --demo-peers``, so by
``make run``) runs both peers: the SMSC answers the worker's bind with receipts and replies, and
the stand-in posts signed status and reply webhooks to Brief's ``/hooks/wa-demo/``. The peers
live in ``brief.dispatch.peers`` (the tests and the benchmark use them too); this module only
chooses their demo options, so ``brief.core`` never names them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from brief.accounts.models import User
from brief.campaigns.models import Brief
from brief.content.actions import record_wa_statuses
from brief.dispatch import actions
from brief.dispatch.models import ProviderAccount
from brief.dispatch.peers.graph import PHONE_NUMBER_ID, WABA_ID, GraphPeer
from brief.dispatch.peers.smsc import SMSC

from . import briefs

SMPP_ACCOUNT = "smpp-demo"
WA_ACCOUNT = "wa-demo"
SMSC_SYSTEM_ID, SMSC_PASSWORD = "brief", "secreto"  # the SMSC's default account
WA_ACCESS_TOKEN = "demo-access-token"
WA_APP_SECRET = "demo-app-secret"
WA_VERIFY_TOKEN = "demo-verify-token"

#: What the stand-in lists at ``GET /{waba_id}/message_templates``: the demo's WhatsApp
#: templates, approved (``brief demo_data`` records the same listing).
WA_TEMPLATES = [
    {
        "name": briefs.DEMO_TEMPLATES["whatsapp"]["wa_name"],
        "language": briefs.DEMO_TEMPLATES["whatsapp"]["wa_language"],
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "1234567890123456",
    }
]

_FIRST = ["Ana María", "Luis Carlos", "Marta Lucía", "Jorge Iván", "Paula Andrea", "Diego",
          "Laura Sofía", "Camilo", "Valentina", "Andrés Felipe"]  # fmt: skip
_LAST = ["Pérez Gómez", "Rodríguez", "Quintero", "Martínez Ruiz", "Cárdenas", "Ospina",
         "Restrepo", "Salazar Mejía", "Castro", "Vargas"]  # fmt: skip


def base_csv(n: int = 30) -> str:
    """The channels brief's base: ``n`` people with a mobile number (SMS and WhatsApp)."""
    rows = ["documento,nombres,apellidos,celular,correo"]
    for i in range(n):
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i * 3) % len(_LAST)]
        user = f"{first.split()[0].lower()}.{i + 1}"
        rows.append(f"{1010200300 + i},{first},{last},300555{i + 1:04d},{user}@example.com")
    return "\n".join(rows) + "\n"


CHANNELS_BRIEF = {
    "name": "Recordatorio de pago por SMS y WhatsApp",
    "objective": "Recordar el pago de la cuota y recibir las respuestas de los beneficiarios.",
    "description": "SMS por SMPP y WhatsApp Cloud API: estados y respuestas reales.",
    "campaign_class": "servicio",
    "kind": "informativa",
    "channels": ["sms", "whatsapp"],
}


@dataclass(frozen=True)
class PeerAddresses:
    """Where the demo's peers listen and where the stand-in posts its webhooks."""

    smsc_port: int
    graph_port: int
    hooks_url: str

    @classmethod
    def from_settings(cls) -> PeerAddresses:
        return cls(
            smsc_port=settings.BRIEF_DEMO_SMSC_PORT,
            graph_port=settings.BRIEF_DEMO_GRAPH_PORT,
            hooks_url=settings.SITE_URL + reverse("provider_callback", args=[WA_ACCOUNT]),
        )


def account_specs(addresses: PeerAddresses) -> list[dict]:
    """The bodies of the two accounts, as an administrator would send them to the API."""
    return [
        {
            "code": SMPP_ACCOUNT,
            "name": f"SMS por SMPP (SMSC local 127.0.0.1:{addresses.smsc_port})",
            "kind": "smpp",
            "channels": ["sms"],
            "rate_per_second": 50.0,
            "options": {
                "host": "127.0.0.1",
                "port": addresses.smsc_port,
                "system_id": SMSC_SYSTEM_ID,
                "password": SMSC_PASSWORD,
                "source_addr": "ICETEX",
                "window": 10,
                "reconnect_max_seconds": 5,
            },
        },
        {
            "code": WA_ACCOUNT,
            "name": f"WhatsApp Cloud API (Graph local 127.0.0.1:{addresses.graph_port})",
            "kind": "whatsapp_cloud",
            "channels": ["whatsapp"],
            "rate_per_second": 50.0,
            "options": {
                "base_url": f"http://127.0.0.1:{addresses.graph_port}",
                "api_version": "v21.0",
                "phone_number_id": PHONE_NUMBER_ID,
                "waba_id": WABA_ID,
                "access_token": WA_ACCESS_TOKEN,
                "app_secret": WA_APP_SECRET,
                "verify_token": WA_VERIFY_TOKEN,
            },
        },
    ]


def ensure_accounts(admin: User, addresses: PeerAddresses | None = None) -> list[ProviderAccount]:
    """Create the demo's SMPP and WhatsApp accounts (those missing) through the actions."""
    addresses = addresses or PeerAddresses.from_settings()
    made = []
    for spec in account_specs(addresses):
        account = ProviderAccount.objects.filter(code=spec["code"]).first()
        if account is None:
            account = actions.create_provider_account(actor=admin, data=spec)
        made.append(account)
    return made


def load(command) -> None:
    """The accounts and the brief to send through them (each once, also on an older demo)."""
    admin = User.objects.filter(username="admin", is_superuser=True).first()
    users = briefs.demo_users()
    if admin is None or users is None:
        return
    ensure_accounts(admin)
    if not Brief.objects.filter(name=CHANNELS_BRIEF["name"]).exists():
        brief = briefs.walk("executing", CHANNELS_BRIEF, users, base_csv=base_csv())
        command.stdout.write(f"Brief con canales reales (SMPP y WhatsApp): {brief.code}.")
    # What the template sync would read from the stand-in (it is not running yet).
    record_wa_statuses(WA_TEMPLATES)


@contextmanager
def running_peers(
    addresses: PeerAddresses, *, pace: float = 1.0
) -> Iterator[tuple[SMSC, GraphPeer]]:
    """The demo's SMSC and Graph stand-in, listening until the block ends."""
    smsc = SMSC.demo(pace=pace).start(addresses.smsc_port)
    graph = GraphPeer.demo(
        addresses.hooks_url,
        pace=pace,
        templates=WA_TEMPLATES,
        port=addresses.graph_port,
        access_token=WA_ACCESS_TOKEN,
        app_secret=WA_APP_SECRET,
    )
    try:
        with graph:
            yield smsc, graph
    finally:
        smsc.stop()
