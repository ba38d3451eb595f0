"""Plain helpers shared by tests (fixtures live in the conftest files, helpers here)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from brief.campaigns import actions
from brief.campaigns.choices import Status
from brief.contacts.choices import BaseStatus
from brief.contacts.models import ContactBase
from brief.content.models import Template
from brief.core import calendar
from brief.core.calendar import BOGOTA
from brief.core.exceptions import Conflict
from brief.dispatch.choices import SweepState
from brief.dispatch.models import ProviderAccount, Sweep

IN_CI = os.environ.get("CI", "").lower() == "true"

BASE_CSV = "documento,nombres,apellidos,celular,correo\n1020304050,Ana,Pérez,3001234567,a@x.co\n"

# A base with custom columns: «plan» is oro, plata, plata; one row lacks a document, one repeats.
CUSTOM_CSV = (
    "documento,nombres,fono_contacto,correo,ciudad,plan\n"
    "1020304050,Ana Pérez,3001234567,ana@x.co,Bogotá,oro\n"
    "1020304051,Luis Gómez,3011234567,,Medellín,plata\n"
    "1020304052,Marta Ruiz,3021234567,marta@x.co,Bogotá,plata\n"
    ",Sin Documento,3001234567,b@x.co,Cali,oro\n"
    "1020304050,Ana Duplicada,3041234567,,Bogotá,oro\n"
)

DISPATCH_HEADER = "documento,nombres,apellidos,celular,correo,pais,saldo\n"


def require_binary(path_or_name: str) -> str:
    """The binary's path; skip when missing on a laptop, fail when missing under CI."""
    found = path_or_name if os.path.isabs(path_or_name) else shutil.which(path_or_name)
    if found and os.path.exists(found):
        return found
    message = f"{path_or_name} is not installed (see README: Debian packages)"
    if IN_CI:
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)
    raise AssertionError("unreachable")


def upload(name: str, content: bytes | str) -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data)


def valid_start(days: int = 5) -> dt.date:
    today = calendar.local(timezone.now()).date()
    return calendar.add_business_days(today, days)


def brief_data(**overrides):
    start = valid_start()
    data = {
        "name": "Actualización de datos 2027-1",
        "objective": "Que los beneficiarios actualicen sus datos de contacto.",
        "description": "Campaña informativa por SMS y correo.",
        "campaign_class": "servicio",
        "kind": "informativa",
        "channels": ["sms", "email"],
        "start_date": start,
        "end_date": start + dt.timedelta(days=8),
        "audience": "Beneficiarios con crédito activo.",
    }
    data.update(overrides)
    return data


def attach_base(brief, user, name: str, content: str):
    """Attach a base file to a brief in any state (attachments are only taken in drafts)."""
    brief.status, status = Status.DRAFT, brief.status
    brief.save(update_fields=["status"])
    try:
        return actions.add_attachment(brief, actor=user, kind="base", upload=upload(name, content))
    finally:
        brief.status = status
        brief.save(update_fields=["status"])


# --- what the workflow's checks ask for (campaigns ``ActionSpec.checks``) -----------------


def ready_base(brief, actor, **summary) -> ContactBase:
    """A ready imported base of ``brief`` without contacts (what ``load_base`` requires)."""
    return ContactBase.objects.create(
        brief=brief,
        source_name="base.csv",
        status=BaseStatus.READY,
        created_by=actor,
        channels=list(brief.channels),
        summary={"rows_total": 1, "rows_usable": 1, "rows_rejected": 0, **summary},
    )


def channel_templates(brief, actor, body: str = "Hola {nombres}.") -> dict[str, Template]:
    """One template per channel of ``brief`` that has none (what ``request_exit`` requires);
    calls carry their script."""
    return {
        channel: Template.objects.create(
            brief=brief,
            channel=channel,
            name=f"Plantilla {channel}",
            body=body,
            subject="Aviso ICETEX",
            text="Hola {nombres}",
            html="<p>Hola {nombres}</p>",
            script_sections=[{"title": "Saludo", "text": "Buenos días.", "questions": []}]
            if channel == "call"
            else [],
            created_by=actor,
        )
        for channel in brief.channels
        if not brief.templates.filter(channel=channel).exists()
    }


def finished_sweep(brief, actor) -> Sweep:
    """A finished sweep of ``brief`` (what ``deliver_results`` requires), on its first
    template and current base, through the ``locmem`` account."""
    account, _ = ProviderAccount.objects.get_or_create(
        code="locmem",
        defaults={
            "name": "Memoria",
            "backend": "brief.dispatch.providers.locmem.LocmemProvider",
            "channels": ["sms", "email", "whatsapp", "voice", "call"],
            "rate_per_second": 1_000_000,
        },
    )
    template = brief.templates.first() or next(iter(channel_templates(brief, actor).values()))
    base = ContactBase.objects.current(brief) or ready_base(brief, actor)
    return Sweep.objects.create(
        brief=brief,
        number=brief.sweeps.count() + 1,
        channel=template.channel,
        template=template,
        base=base,
        provider_account=account,
        state=SweepState.DONE,
        created_by=actor,
        finished_at=timezone.now(),
    )


def meet_checks(brief, action: str, proveedor) -> None:
    """Give ``brief`` what ``action``'s checks ask for, as the provider would before it."""
    if action == "load_base" and ContactBase.objects.current(brief) is None:
        ready_base(brief, proveedor)
    elif action == "request_exit":
        channel_templates(brief, proveedor)
    elif action == "deliver_results":
        if not brief.attachments.filter(kind="report").exists():
            actions.add_attachment(
                brief, actor=proveedor, kind="report", upload=upload("informe.csv", "total,1\n")
            )
        if not brief.sweeps.filter(state=SweepState.DONE).exists():
            finished_sweep(brief, proveedor)


def base_csv(n: int, *, start: int = 1) -> str:
    """A dispatch base of ``n`` people, each with a mobile, an e-mail and a saldo."""
    rows = [DISPATCH_HEADER]
    for i in range(start, start + n):
        rows.append(f"{10_000_000 + i},Persona{i},Prueba,300{i:07d},p{i}@correo.co,,{i * 1000}\n")
    return "".join(rows)


def race(brief, users, action) -> list[str]:
    """Run ``action`` on ``brief`` by every user at the same instant; sorted outcomes."""
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []

    def run(user):
        try:
            barrier.wait()
            actions.perform(brief, action, actor=user)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(outcomes)


# --- dispatch --------------------------------------------------------------------------

OPEN = dt.datetime(2026, 12, 9, 10, 0, tzinfo=BOGOTA)  # a Wednesday, inside the window


def sweep_for(brief, template, proveedor, account="locmem", **kw):
    """Create a sweep of ``template`` through ``account`` as the provider."""
    from brief.dispatch import actions as dispatch_actions

    return dispatch_actions.create_sweep(
        brief,
        actor=proveedor,
        channel=template.channel,
        template=template,
        provider_account=account,
        **kw,
    )


def drain(sweep, budget=30):
    """Run one runner on ``sweep`` until done, paused or out of budget; returns its outcome."""
    from brief.dispatch import engine

    outcome = engine.Runner(sweep).run(budget_seconds=budget)
    sweep.refresh_from_db()
    return outcome


def callbacks_while_sending(monkeypatch, provider_cls, post) -> None:
    """Make ``post(batch, results)`` run after the provider answered a batch and before the
    engine records it: the provider's callbacks arrive earlier than the send is recorded."""
    real_send = provider_cls.send

    def send(self, batch):
        results = real_send(self, batch)
        post(batch, results)
        return results

    monkeypatch.setattr(provider_cls, "send", send)


SMTP_CALLBACK_SECRET = "secreto-del-mta"
#: A Wednesday 10:00 in Bogotá: inside the e-mail window.
WHEN = dt.datetime(2026, 12, 9, 10, tzinfo=BOGOTA)


def smtp_account(port: int, imap_port: int = 0, password: str = "") -> ProviderAccount:
    """The ``correo`` SMTP account (VERP, signed bounce webhook; IMAP when ``imap_port``)."""
    options = {
        "host": "127.0.0.1",
        "port": port,
        "start_tls": False,
        "domain": "brief.test",
        "verp_domain": "brief.test",
        "callback_secret": SMTP_CALLBACK_SECRET,
    }
    if imap_port:
        options |= {
            "imap_host": "127.0.0.1",
            "imap_port": imap_port,
            "imap_user": "rebotes",
            "imap_password": password,
            "imap_folder": "INBOX",
        }
    return ProviderAccount.objects.create(
        code="correo",
        name="Correo",
        kind="smtp",
        channels=["email"],
        rate_per_second=1000,
        options=options,
    )


def send_email_sweep(campaign, proveedor, monkeypatch, account, n=3):
    """A finished e-mail sweep of ``n`` people sent through ``account`` at :data:`WHEN`."""
    from brief.dispatch import actions, engine
    from brief.dispatch.models import Message, Sweep

    monkeypatch.setattr(engine, "clock", lambda: WHEN)
    brief, _, templates = campaign(n=n, channels=("email",))
    sweep = actions.create_sweep(
        brief,
        actor=proveedor,
        channel="email",
        template=templates["email"],
        provider_account=account.code,
    )
    assert engine.Runner(sweep).run()["next"] == "done"
    Sweep.objects.filter(pk=sweep.pk).update(state="done")
    return brief, templates, list(Message.objects.filter(sweep=sweep).order_by("pk"))


def statuses(sweep):
    from brief.dispatch import engine

    return dict(engine.counts(sweep))
