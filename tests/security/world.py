"""The seeded world of the access-control matrix: one brief of area A (and provider P) in
execution with most of what hangs off a brief, and one user per persona.

Built once per test module (``conftest.world``) inside a transaction that is rolled back at the
end; every probe runs inside a savepoint of its own, so nothing a probe writes leaks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.utils import timezone

from brief.accounts.actions import set_roles
from brief.accounts.models import Area, Provider, User
from brief.calls import actions as call_actions
from brief.calls.models import (
    Case,
    Conversation,
    CrmExportLayout,
    Interaction,
    InteractionImport,
    QueueEntry,
    TypificationNode,
)
from brief.campaigns import actions as brief_actions
from brief.campaigns.choices import Status
from brief.campaigns.models import AdvisorAssignment, Brief, Notification
from brief.contacts import importer
from brief.contacts.choices import BaseStatus
from brief.contacts.models import ContactBase
from brief.content.models import Template
from brief.core.choices import ClockState, Responsible
from brief.core.models import SLAClock, SLARule
from brief.core.roles import Role
from brief.dispatch.models import Message, ProviderAccount
from tests.helpers import (
    attach_base,
    base_csv,
    brief_data,
    channel_templates,
    meet_checks,
    upload,
)

# Personas: one user per role of ``brief.core.roles.Role`` (area A, provider P where the role
# needs one), plus anonymous, a requester of another area and a director of another provider.
ROLE_PERSONAS = {
    "solicitante": Role.SOLICITANTE,
    "jefe": Role.JEFE,
    "comunicaciones": Role.COMUNICACIONES,
    "analista": Role.ANALISTA_OCM,
    "lider": Role.LIDER_PROCESO,
    "proveedor": Role.PROVEEDOR,
    "asesor": Role.ASESOR,
    "apoyo_front": Role.APOYO_FRONT,
    "auditor": Role.AUDITOR,
}
OTHER_AREA = "otra_area"  # a SOLICITANTE of area B
OTHER_PROVIDER = "otro_proveedor"  # a PROVEEDOR of provider Q
ANON = "anonimo"
PERSONAS: tuple[str, ...] = (*ROLE_PERSONAS, OTHER_AREA, OTHER_PROVIDER, ANON)

MONTH = dt.date(2026, 12, 1)


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["objects"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def _user(username: str, role: str, *, area=None, provider=None) -> User:
    user = User.objects.create_user(
        username=username,
        password="demo",
        email=f"{username}@brief.example",
        first_name=username.capitalize(),
        area=area,
        provider=provider,
    )
    set_roles(user, [role])
    return User.objects.get(pk=user.pk)


PATH = [
    ("submit", "solicitante"),
    ("start_review", "analista"),
    ("forward", "analista"),
    ("receive", "proveedor"),
    ("load_base", "proveedor"),
    ("request_exit", "proveedor"),
    ("approve_exit", "solicitante"),
]


def seed() -> World:
    """Build the world (about a second)."""
    world = World()
    o = world.objects
    area = Area.objects.create(code="credito", name="Vicepresidencia de Crédito y Cobranza")
    other_area = Area.objects.create(code="fondos", name="Vicepresidencia de Fondos")
    provider = Provider.objects.create(code="bpo", name="Contact Center BPO")
    other_provider = Provider.objects.create(code="otro-bpo", name="Otro contact center")
    o.update(area=area, other_area=other_area, provider=provider, other_provider=other_provider)
    u = world.users
    for name, role in ROLE_PERSONAS.items():
        u[name] = _user(
            name,
            role,
            area=area if role in (Role.SOLICITANTE, Role.JEFE) else None,
            provider=provider if role in (Role.PROVEEDOR, Role.ASESOR) else None,
        )
    u[OTHER_AREA] = _user(OTHER_AREA, Role.SOLICITANTE, area=other_area)
    u[OTHER_PROVIDER] = _user(OTHER_PROVIDER, Role.PROVEEDOR, provider=other_provider)
    account = ProviderAccount.objects.create(
        code="locmem",
        name="Memoria",
        backend="brief.dispatch.providers.locmem.LocmemProvider",
        channels=["sms", "email", "whatsapp", "voice", "call"],
        rate_per_second=1_000_000,
        chunk_size=50,
    )
    o["account"] = account

    # --- the brief of area A, walked to execution by the procedure's actions ---
    solicitante, proveedor, analista = u["solicitante"], u["proveedor"], u["analista"]
    brief = brief_actions.create_brief(
        actor=solicitante, data=brief_data(channels=["sms", "email", "call"])
    )
    attachment = brief_actions.add_attachment(
        brief, actor=solicitante, kind="base", upload=upload("base.csv", base_csv(3))
    )
    brief_actions.add_attachment(
        brief, actor=solicitante, kind="script", upload=upload("guion.txt", "Hola.\n")
    )
    brief_actions.give_approval(brief, "boss", actor=u["jefe"])
    brief_actions.give_approval(brief, "comms", actor=u["comunicaciones"])
    for name, actor in PATH:
        brief.refresh_from_db()
        meet_checks(brief, name, proveedor)
        params = {"provider": provider.code} if name == "forward" else {}
        if name == "load_base":  # an audio creative (its public signed URL) while editable
            from brief.content import actions as content_actions

            o["creative"] = content_actions.add_creative(
                brief,
                actor=proveedor,
                channel="call",
                upload=upload("pieza.mp3", b"ID3\x03\x00" + b"\x00" * 64),
            )
        brief_actions.perform(brief, name, actor=u[actor], **params)
    brief.refresh_from_db()
    assert brief.status == Status.EXECUTING, brief.status
    o.update(brief=brief, attachment=attachment, version=brief.versions.first())

    o["change"] = brief_actions.file_change(
        brief, actor=solicitante, reason="Mover la fecha de fin", changes={"sweeps_planned": 2}
    )

    # a real imported base (with one rejected row) as the current base
    content = base_csv(3) + ",Sin Documento,Nadie,3001234567,x@x.co,,1\n"
    base_file = attach_base(brief, solicitante, "base2.csv", content)
    base = ContactBase.objects.create(
        brief=brief,
        attachment=base_file,
        source_name="base2.csv",
        created_by=proveedor,
        channels=list(brief.channels),
    )
    assert importer.run_import(base.pk) == BaseStatus.READY
    base.refresh_from_db()
    contacts = list(base.contacts.order_by("row"))
    o.update(base=base, contact=contacts[0])
    templates = {t.channel: t for t in brief.templates.all()}
    templates.update(channel_templates(brief, proveedor))
    o.update(template=templates["sms"], email_template=templates["email"])

    # a finished SMS sweep with its messages (tokens for the public pages)
    from brief.dispatch.models import Sweep

    sweep = Sweep.objects.create(
        brief=brief,
        number=brief.sweeps.count() + 1,
        channel="email",
        template=templates["email"],
        base=base,
        provider_account=account,
        state="done",
        created_by=proveedor,
        finished_at=timezone.now(),
    )
    message = Message.objects.create(
        sweep=sweep,
        contact=contacts[0],
        person=f"CC:{contacts[0].doc_number}",
        to=contacts[0].email,
        status="delivered",
        sent_at=timezone.now(),
        delivered_at=timezone.now(),
        provider_message_id="m-1",
    )
    o.update(sweep=sweep, message=message)

    # questions, notifications, advisor, typification
    brief_actions.record_kickoff(
        brief, actor=proveedor, held_on=timezone.localdate(), attendees="OCM y el proveedor"
    )
    o["question"] = brief_actions.ask_question(brief, actor=proveedor, text="¿Fecha de corte?")
    o["notification"] = Notification.objects.create(
        user=solicitante, kind="status", brief=brief, text="Aviso de prueba"
    )
    AdvisorAssignment.objects.create(brief=brief, advisor=u["asesor"], assigned_by=proveedor)
    o["node"] = (
        TypificationNode.objects.filter(brief=brief, children__isnull=True).order_by("pk").first()
    )

    # an interaction with its audio recording, a case, a conversation, a queue entry
    interaction = call_actions.record_interaction(
        brief,
        actor=u["asesor"],
        data={"channel": "call", "contact": contacts[0].pk, "typification": o["node"].pk},
    )
    call_actions.attach_recording(
        interaction,
        actor=u["asesor"],
        kind="audio",
        upload=upload("llamada.mp3", b"ID3\x03\x00" + b"\x00" * 64),
    )
    o["interaction"] = interaction
    now = timezone.now()
    o["case"] = Case.objects.create(
        code="CASO-0001",
        brief=brief,
        interaction=interaction,
        contact=contacts[0],
        person=contacts[0].doc_number,
        summary="Caso de prueba",
        opened_at=now,
        due_at=now + dt.timedelta(days=3),
    )
    o["conversation"] = Conversation.objects.create(
        brief=brief,
        contact=contacts[0],
        address=contacts[0].mobile,
        account=account,
        first_wamid="wamid.1",
        opened_at=now,
        last_inbound_at=now,
        window_closes_at=now + dt.timedelta(hours=24),
    )
    o["entry"] = QueueEntry.objects.create(
        brief=brief,
        contact=contacts[1],
        person=contacts[1].doc_number,
        holder=u["asesor"],
        held_until=now + dt.timedelta(minutes=30),
        claimed_at=now,
    )
    o["layout"] = CrmExportLayout.objects.create(
        name="Formato A",
        area=area,
        columns=[{"field": "code", "header": "Código"}],
        created_by=solicitante,
    )
    job = InteractionImport(
        provider=provider, brief=brief, source_name="i.csv", status="done", created_by=proveedor
    )
    job.file.save("i.csv", upload("i.csv", "codigo\n"), save=False)
    job.save()
    o["import_job"] = job

    # one survey question in the call script after the call (its answers are a report of their own)
    question = {"key": "satisfecho", "text": "¿Está satisfecho?", "kind": "yes_no"}
    sections = [{"title": "Encuesta", "text": "", "questions": [question]}]
    Template.objects.filter(brief=brief, channel="call").update(script_sections=sections)

    # reports: a recommendation, an SLA clock, a QC sample, a daily report, a delivered version
    from brief.evidence.models import Certificate
    from brief.reports import actions as report_actions
    from brief.reports import daily
    from brief.reports.models import DeliveredReport

    o["recommendation"] = report_actions.create_recommendation(
        area=area,
        brief=brief,
        text="Revisar la base",
        owner=solicitante,
        due_date=now.date() + dt.timedelta(days=10),
        actor=analista,
    )
    rule = SLARule.objects.create(
        code="prueba", name="Prueba", start_event="x", stop_event="y", duration=1
    )
    o["clock"] = SLAClock.objects.create(
        rule=rule,
        subject_type=ContentType.objects.get_for_model(Brief),
        subject_id=brief.pk,
        state=ClockState.LATE,
        responsible=Responsible.PROVIDER,
        started_at=now - dt.timedelta(days=3),
        due_at=now - dt.timedelta(days=1),
        stopped_at=now,
        breached_at=now,
    )
    Interaction.objects.filter(pk=interaction.pk).update(
        started_at=dt.datetime(2026, 12, 9, 15, tzinfo=dt.UTC)
    )
    o["sample"] = report_actions.draw_sample(MONTH, actor=analista, seed=1)
    o["qc_item"] = o["sample"].items.order_by("pk").first()
    day = timezone.localdate()
    report = daily.open_day(brief, day, at=now)
    daily.generate(report, at=now)
    o["daily"] = report
    # stored files stand in for the generated PDF/XLSX (no charts, no signing: what is probed
    # is who may read them)
    delivered = DeliveredReport(
        brief=brief, version=1, pdf_sha256="0" * 64, xlsx_sha256="0" * 64, by=proveedor
    )
    delivered.pdf.save("informe.pdf", ContentFile(b"%PDF-1.4 informe"), save=False)
    delivered.xlsx.save("informe.xlsx", ContentFile(b"PK informe"), save=False)
    delivered.save()
    o["delivered"] = delivered

    # evidence: a certificate of the delivered message
    certificate = Certificate(
        code="CERT-2026-900001",
        scope="message",
        brief=brief,
        message_id=message.pk,
        issued_by=analista,
        sha256="0" * 64,
    )
    certificate.pdf.save("CERT-2026-900001.pdf", ContentFile(b"%PDF-1.4 cert"), save=False)
    certificate.save()
    o["certificate"] = certificate

    # privacy: an export request of the first contact
    from brief.privacy import subject as subjects

    o["subject_request"] = subjects.export_request(
        subjects.find(contacts[0].doc_number), actor=analista, reference="RAD-1"
    )

    from brief.contacts.models import Suppression

    o["suppression"] = Suppression.objects.create(
        channel="sms", value="+573009998877", source="manual", reason="Pidió no recibir",
        created_by=analista,
    )  # fmt: skip

    # the signed tokens of the public pages (open pixel, one-click unsubscribe, creative URL)
    from urllib.parse import urlsplit

    from django.urls import resolve

    from brief.content import links

    def token(url: str) -> str:
        return resolve(urlsplit(url).path).kwargs["token"]

    o["unsubscribe_token"] = links.unsubscribe_token(message.pk)
    o["open_token"] = token(links.open_pixel_url(message.pk))
    o["creative_token"] = token(links.creative_url(o["creative"].pk))
    brief.refresh_from_db()
    return world
