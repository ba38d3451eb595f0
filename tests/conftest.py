"""Personas and the fixtures shared by every app's tests (HOUSE_STYLE §6)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from brief.accounts.actions import set_roles
from brief.accounts.models import Area, Provider, User
from brief.campaigns import actions as brief_actions
from brief.campaigns.choices import SCRIPT_CHANNELS, Status
from brief.contacts import importer
from brief.contacts.choices import BaseStatus
from brief.contacts.models import Contact, ContactBase
from brief.core.roles import Role
from brief.dispatch.models import ProviderAccount
from brief.dispatch.providers import locmem
from tests.helpers import (
    BASE_CSV,
    attach_base,
    base_csv,
    brief_data,
    channel_templates,
    meet_checks,
    upload,
)


@pytest.fixture
def area(db) -> Area:
    return Area.objects.create(code="credito", name="Vicepresidencia de Crédito y Cobranza")


@pytest.fixture
def other_area(db) -> Area:
    return Area.objects.create(code="fondos", name="Vicepresidencia de Fondos en Administración")


@pytest.fixture
def provider_org(db) -> Provider:
    return Provider.objects.create(code="bpo", name="Contact Center BPO")


@pytest.fixture
def make_user(db):
    def make(username: str, *roles: str, area=None, provider=None, password="demo") -> User:
        user = User.objects.create_user(
            username=username,
            password=password,
            email=f"{username}@brief.example",
            first_name=username.capitalize(),
            area=area,
            provider=provider,
        )
        set_roles(user, list(roles))
        return User.objects.get(pk=user.pk)

    return make


@pytest.fixture
def solicitante(make_user, area):
    return make_user("solicitante", Role.SOLICITANTE, area=area)


@pytest.fixture
def jefe(make_user, area):
    return make_user("jefe", Role.JEFE, area=area)


@pytest.fixture
def comunicaciones(make_user):
    return make_user("comunicaciones", Role.COMUNICACIONES)


@pytest.fixture
def analista(make_user):
    return make_user("analista", Role.ANALISTA_OCM)


@pytest.fixture
def lider(make_user):
    return make_user("lider", Role.LIDER_PROCESO)


@pytest.fixture
def proveedor(make_user, provider_org):
    return make_user("proveedor", Role.PROVEEDOR, provider=provider_org)


@pytest.fixture
def asesor(make_user, provider_org):
    return make_user("asesor", Role.ASESOR, provider=provider_org)


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", Role.AUDITOR)


@pytest.fixture
def apoyo_front(make_user):
    return make_user("apoyo_front", Role.APOYO_FRONT)


@pytest.fixture
def other_provider(db) -> Provider:
    return Provider.objects.create(code="otro-bpo", name="Otro contact center")


@pytest.fixture
def other_provider_user(make_user, other_provider):
    """The channel director of another provider: must never see the first provider's briefs."""
    return make_user("otro_proveedor", Role.PROVEEDOR, provider=other_provider)


@pytest.fixture
def superuser(make_user):
    user = make_user("admin")
    User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def inactive_user(make_user, area):
    """A deactivated requester of the first area: sees and does nothing."""
    user = make_user("inactivo", Role.SOLICITANTE, area=area)
    User.objects.filter(pk=user.pk).update(is_active=False)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def outsider(make_user, other_area):
    """A requester of another area: must never see the first area's objects."""
    return make_user("outsider", Role.SOLICITANTE, area=other_area)


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` authenticates it with a real token."""

    class _Client(APIClient):
        def as_user(self, user):
            token, _ = Token.objects.get_or_create(user=user)
            self.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            return self

    return _Client()


@pytest.fixture
def make_brief(solicitante, jefe, comunicaciones, analista, proveedor):
    """``make_brief(status)`` builds a brief and walks it to ``status`` through the actions."""

    path = [
        ("submit", solicitante),
        ("start_review", analista),
        ("forward", analista),
        ("receive", proveedor),
        ("load_base", proveedor),
        ("request_exit", proveedor),
        ("approve_exit", solicitante),
        ("deliver_results", proveedor),
        ("send_results", analista),
        ("accept", solicitante),
    ]

    def make(status: str = Status.DRAFT, **overrides):
        brief = brief_actions.create_brief(actor=solicitante, data=brief_data(**overrides))
        brief_actions.add_attachment(
            brief, actor=solicitante, kind="base", upload=upload("base.csv", BASE_CSV)
        )
        if set(brief.channels) & SCRIPT_CHANNELS:
            brief_actions.add_attachment(
                brief, actor=solicitante, kind="script", upload=upload("guion.txt", "Hola.\n")
            )
        brief_actions.give_approval(brief, "boss", actor=jefe)
        brief_actions.give_approval(brief, "comms", actor=comunicaciones)
        for name, actor in path:
            brief.refresh_from_db()
            if brief.status == status:
                break
            meet_checks(brief, name, proveedor)
            brief_actions.perform(brief, name, actor=actor)
        brief.refresh_from_db()
        assert brief.status == status
        return brief

    return make


CONTACTS = [
    {
        "doc_number": "1020304050",
        "first_names": "Ana María",
        "last_names": "Pérez Gómez",
        "mobile": "+573001234567",
        "email": "ana@example.co",
        "city": "Bogotá",
        "custom": {"Saldo": "$1.250.000", "Fecha límite": "15/12/2026"},
    },
    {
        "doc_number": "79888777",
        "first_names": "Luis",
        "last_names": "Rodríguez",
        "mobile": "+573109876543",
        "email": "",
        "city": "Cali",
        "custom": {"Saldo": ""},
    },
]


@pytest.fixture
def make_base(solicitante):
    """``make_base(brief)`` stores a ready base with two contacts (Luis lacks saldo and e-mail)."""

    def make(brief, contacts=CONTACTS, usable=None):
        base = ContactBase.objects.create(
            brief=brief,
            source_name="base.csv",
            status=BaseStatus.READY,
            created_by=solicitante,
            channels=brief.channels,
            summary={"usable_by_channel": usable or {"sms": 2500, "email": 1800}},
        )
        for row, data in enumerate(contacts, 2):
            Contact.objects.create(
                base=base,
                row=row,
                doc_type="CC",
                full_name=f"{data['first_names']} {data['last_names']}",
                country="Colombia",
                department="",
                can_sms=bool(data["mobile"]),
                can_email=bool(data["email"]),
                **data,
            )
        return base

    return make


@pytest.fixture(autouse=True)
def _clear_locmem():
    locmem.outbox.clear()
    cache.clear()  # figures kept by the report (``dispatch.report.counts_key``): ids repeat
    yield
    locmem.outbox.clear()


@pytest.fixture
def accounts(db):
    return {
        "locmem": ProviderAccount.objects.create(
            code="locmem",
            name="Memoria",
            backend="brief.dispatch.providers.locmem.LocmemProvider",
            channels=["sms", "email", "whatsapp", "voice", "call"],
            rate_per_second=1_000_000,
            chunk_size=50,
        ),
        "simulado": ProviderAccount.objects.get_or_create(
            code="simulado",
            defaults={
                "name": "Simulado",
                "backend": "brief.dispatch.providers.simulated.SimulatedProvider",
                "channels": ["sms", "email", "whatsapp", "voice", "call"],
            },
        )[0],
    }


@pytest.fixture
def campaign(make_brief, solicitante, proveedor, accounts):
    """``campaign(n=…, channels=…)`` → (brief, base, {channel: template})."""

    def make(n: int = 20, channels=("sms", "email"), content: str | None = None):
        brief = make_brief(Status.RECEIVED, channels=list(channels))
        attachment = attach_base(brief, solicitante, "base.csv", content or base_csv(n))
        base = ContactBase.objects.create(
            brief=brief,
            attachment=attachment,
            source_name="base.csv",
            created_by=proveedor,
            channels=list(channels),
        )
        assert importer.run_import(base.pk) == BaseStatus.READY
        templates = channel_templates(brief, proveedor, body="Hola {nombres}, su saldo es {saldo}.")
        brief.status = Status.EXECUTING
        brief.save(update_fields=["status"])
        base.refresh_from_db()
        return brief, base, templates

    return make


@pytest.fixture
def at(monkeypatch):
    """Move the dispatch engine's clock (starts at ``tests.helpers.OPEN``)."""
    from brief.dispatch import engine
    from tests.helpers import OPEN

    def move(moment):
        monkeypatch.setattr(engine, "clock", lambda: moment)
        return moment

    move(OPEN)
    return move


# --- evidence ----------------------------------------------------------------------------


@pytest.fixture
def sent_campaign(campaign, proveedor, at, accounts):
    """A brief whose SMS sweep sent two messages through ``locmem``; the first one has a
    ``delivered`` receipt (a stored status event and its raw body). → (brief, sweep, [m1, m2],
    raw body of the receipt)."""
    import json

    from brief.dispatch.hooks import ingest
    from brief.dispatch.models import Message
    from brief.dispatch.providers.base import StatusUpdate
    from tests.helpers import drain, sweep_for

    brief, _base, templates = campaign(n=2, channels=("sms",))
    sweep = sweep_for(brief, templates["sms"], proveedor)
    assert drain(sweep)["next"] == "done"
    first, second = Message.objects.filter(sweep=sweep).order_by("id")
    raw = json.dumps({"id": first.provider_message_id, "status": "delivered"}).encode()
    ingest(
        accounts["locmem"],
        [StatusUpdate(first.provider_message_id, "delivered")],
        raw=raw,
        content_type="application/json",
    )
    first.refresh_from_db()
    assert first.status == "delivered"
    return brief, sweep, [first, second], raw


# --- campaign report ---
REPORT_FORMULA = '=HYPERLINK("http://x")'


@pytest.fixture
def reported(campaign, proveedor, monkeypatch):
    """(brief, sms sweep, email sweep) with stored results for the report tests: 12 people;
    SMS 7 delivered (2 read), 1 failed; e-mail 5 delivered (3 read); targets 50 % contact rate
    and 90 % effectiveness, 3 sweeps planned, the read register asked; one observation that
    reads as a formula."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from brief.calls.models import Interaction
    from brief.core.calendar import BOGOTA
    from brief.dispatch import engine
    from brief.dispatch.models import Message
    from brief.dispatch.providers.base import StatusUpdate
    from brief.dispatch.tasks import run_sweep
    from tests.helpers import sweep_for

    monkeypatch.setattr(engine, "clock", lambda: dt.datetime(2026, 12, 9, 10, tzinfo=BOGOTA))

    def updates(messages, status):
        engine.apply_status_updates(
            "locmem", [StatusUpdate(m.provider_message_id, status) for m in messages]
        )

    brief, base, templates = campaign(n=12, channels=("sms", "email"))
    brief.target_contact_rate = Decimal("50.00")
    brief.target_effectiveness = Decimal("90.00")
    brief.sweeps_planned = 3
    brief.read_register = True
    brief.objective = "Recordar el pago de la cuota."
    brief.save()

    def finish(sweep):
        # Under a transactional test the sweep already ran when it was created (on commit).
        run_sweep(sweep.pk)
        sweep.refresh_from_db()
        assert sweep.state == "done"
        return sweep

    sms = finish(sweep_for(brief, templates["sms"], proveedor))
    sent = list(Message.objects.filter(sweep=sms).order_by("id"))
    updates(sent[:7], "delivered")
    updates(sent[:2], "read")
    updates(sent[7:8], "failed")
    email = finish(
        sweep_for(
            brief,
            templates["email"],
            proveedor,
            ignore_daily_cap=True,
            exception_reason="Segundo canal el mismo día.",
        )
    )
    mails = list(Message.objects.filter(sweep=email).order_by("id"))
    updates(mails[:5], "delivered")
    updates(mails[:3], "read")
    Interaction.objects.create(
        code="INT-R000001",
        channel="sms",
        brief=brief,
        contact=base.contacts.order_by("row").first(),
        created_by=proveedor,
        started_at=timezone.now(),
        observations=REPORT_FORMULA,
    )
    return brief, sms, email


# --- storage faults ----------------------------------------------------------------------


@pytest.fixture(params=["full", "read_only"])
def broken_media(request, settings):
    """``MEDIA_ROOT`` on a small disk; calling the fixture's value, once the test's world is
    built, makes that disk full or read-only: → (folder, expected error code, files before)."""
    from tests.services import files_in, fill, read_only, small_disk

    with small_disk() as folder:
        settings.MEDIA_ROOT = str(folder)

        def break_it():
            for sub in ("grabaciones", "rejects"):
                (folder / sub).mkdir(exist_ok=True)
            if request.param == "full":
                fill(folder)
            else:
                read_only(folder)
            return folder, f"storage_{request.param}", files_in(folder)

        yield break_it
