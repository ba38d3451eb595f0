"""Child program of the certificate benchmark (``python -m brief.evidence.bench_child``).

``certificate ROUNDS`` migrates a fresh SQLite database (``DATABASE_URL``), stores one brief
with a delivered SMS message (its attempt, two status events and their raw callback bodies),
warms the signer (the key pair is generated or loaded once per process), then ROUNDS times:
issues the message's certificate with ``evidence.actions.issue_certificate`` (statement, PDF,
PAdES signature, file, row, audit event) and renders the same statement as an unsigned PDF
with reportlab (the reference). Prints the times and, per certificate, whether it verifies.
"""

from __future__ import annotations

import json
import sys
import time


def _setup() -> None:
    import django

    django.setup()
    from brief.core.bench import migrate_fresh

    migrate_fresh()


def _message():
    from django.utils import timezone

    from brief.accounts.models import Area, Provider, User
    from brief.campaigns.models import Brief
    from brief.contacts.choices import BaseStatus
    from brief.contacts.models import Contact, ContactBase
    from brief.content.models import Template
    from brief.dispatch.hooks import ingest
    from brief.dispatch.models import Attempt, Message, ProviderAccount, Sweep
    from brief.dispatch.providers.base import StatusUpdate

    area = Area.objects.create(code="bench", name="Bench")
    provider = Provider.objects.create(code="bench-bpo", name="BPO")
    user = User.objects.create_user("bench", area=area)
    user.is_superuser = True
    user.save()
    brief = Brief.objects.create(
        code="BRF-2026-0001",
        area=area,
        requester=user,
        provider=provider,
        name="Certificado de prueba",
        channels=["sms"],
        status="executing",
    )
    base = ContactBase.objects.create(
        brief=brief, source_name="base.csv", status=BaseStatus.READY, created_by=user
    )
    contact = Contact.objects.create(
        base=base,
        row=2,
        doc_type="CC",
        doc_number="1020304050",
        first_names="Ana",
        last_names="Pérez",
        full_name="Ana Pérez",
        mobile="+573001234567",
        can_sms=True,
    )
    now = timezone.now()
    template = Template.objects.create(
        brief=brief,
        channel="sms",
        name="Aviso",
        body="Hola {nombres}, su cuota vence pronto.",
        created_by=user,
        frozen_at=now,
    )
    template.frozen_sha256 = template.content_digest()
    template.save(update_fields=["frozen_sha256"])
    account = ProviderAccount.objects.create(
        code="locmem",
        name="Memoria",
        backend="brief.dispatch.providers.locmem.LocmemProvider",
        channels=["sms"],
    )
    sweep = Sweep.objects.create(
        brief=brief,
        number=1,
        channel="sms",
        template=template,
        base=base,
        provider_account=account,
        created_by=user,
        state="done",
        total=1,
    )
    message = Message.objects.create(
        sweep=sweep,
        contact=contact,
        person="CC:1020304050",
        to=contact.mobile,
        status="sent",
        provider_message_id="bench-1",
        sent_at=now,
    )
    Attempt.objects.create(message=message, outcome="accepted")
    for status in ("delivered", "read"):
        raw = json.dumps({"id": "bench-1", "status": status}).encode()
        ingest(account, [StatusUpdate("bench-1", status)], raw=raw, content_type="application/json")
    message.refresh_from_db()
    return message, user


def certificate(rounds: int) -> dict:
    from brief.evidence import actions, signing
    from brief.evidence.certificate import message_statement, render_pdf

    message, user = _message()
    signing.signer()  # generate or load the pair once, as a running worker has it
    times, ref_times, valid = [], [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        cert = actions.issue_certificate(message=message.pk, actor=user)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        render_pdf(
            {**message_statement(message), **cert.statement},
            code=cert.code,
            issued_at=cert.issued_at,
            issued_by="bench",
            verify_url=actions.verify_url(cert.code),
        )
        ref_times.append(time.perf_counter() - t0)
        with cert.pdf.open("rb") as handle:
            valid.append(actions.verify_certificate(handle.read()).valid)
    return {"times": times, "ref_times": ref_times, "valid": valid, "status": message.status}


def main(argv: list[str]) -> None:
    _setup()
    if argv[0] == "certificate":
        print(json.dumps(certificate(int(argv[1]))))  # noqa: T201
    else:
        raise SystemExit(f"unknown benchmark {argv[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])
