"""Run a small sweep end to end on the database named by DATABASE_URL (used on PostgreSQL).

Executed as a script by ``test_postgres.py``; prints what happened as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brief.test_settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from brief.accounts.actions import set_roles  # noqa: E402
from brief.accounts.models import Area, Provider, User  # noqa: E402
from brief.campaigns.models import Attachment, Brief  # noqa: E402
from brief.contacts import importer  # noqa: E402
from brief.contacts.models import ContactBase, Suppression  # noqa: E402
from brief.content.models import Template  # noqa: E402
from brief.core.calendar import BOGOTA  # noqa: E402
from brief.dispatch import actions, engine, hooks  # noqa: E402
from brief.dispatch.models import (  # noqa: E402
    CallbackPayload,
    Message,
    ProviderAccount,
    StatusEvent,
)
from brief.dispatch.providers.base import StatusUpdate  # noqa: E402
from tests.helpers import base_csv  # noqa: E402


def parallel_sweep(brief, operator, template) -> dict:
    """Three runners on one sweep at once: SKIP LOCKED claims hand out disjoint chunks."""
    import threading

    from brief.dispatch.providers import locmem

    locmem.outbox.clear()
    engine.clock = lambda: dt.datetime(2026, 12, 10, 10, tzinfo=BOGOTA)
    sweep = actions.create_sweep(
        brief,
        actor=operator,
        channel="sms",
        template=template,
        provider_account="locmem",
        ignore_daily_cap=True,
        exception_reason="prueba en paralelo",
    )

    def run() -> None:
        try:
            while engine.Runner(sweep).run()["next"] == "continue":
                pass
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    ids = [m.id for m in locmem.outbox]
    return {
        "parallel_runners": sweep.runners,
        "parallel_sent": len(ids),
        "parallel_unique": len(set(ids)),
        "parallel_counts": engine.counts(sweep),
    }


def imported_campaign(workdir: str, n: int, channels: list[str]):
    """A brief in execution with an imported base of ``n`` contacts: (operator, brief)."""
    area = Area.objects.create(code="a", name="Área")
    provider_org = Provider.objects.create(code="bpo", name="BPO")
    operator = User.objects.create_user("op", password="x", provider=provider_org)
    set_roles(operator, ["proveedor"])
    operator = User.objects.get(pk=operator.pk)
    requester = User.objects.create_user("sol", password="x", area=area)
    brief = Brief.objects.create(
        code="BRF-PG-0001",
        area=area,
        requester=requester,
        provider=provider_org,
        name="PG",
        status="executing",
        channels=channels,
    )
    path = os.path.join(workdir, "base.csv")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(base_csv(n))
    attachment = Attachment(
        brief=brief,
        kind="base",
        original_name="base.csv",
        size=1,
        sha256="x",
        uploaded_by=requester,
    )
    attachment.file.name = path
    attachment.save()
    base = ContactBase.objects.create(
        brief=brief,
        attachment=attachment,
        source_name="b.csv",
        created_by=operator,
        channels=channels,
    )
    status = importer.run_import(base.pk, path=__import__("pathlib").Path(path))
    assert status == "ready", status
    return operator, brief


def twilio_account(peer, sid: str, *, rate: float, concurrency: int, chunk_size: int):
    """The provider account ``twilio`` sending SMS through the loopback Twilio-compatible peer."""
    return ProviderAccount.objects.create(
        code="twilio",
        name="Twilio",
        kind="twilio_sms",
        channels=["sms"],
        rate_per_second=rate,
        concurrency=concurrency,
        chunk_size=chunk_size,
        options={"base_url": peer.base_url, "account_sid": sid, "auth_token": peer.auth_token,
                 "from": "+15017122661"},
    )  # fmt: skip


def main(workdir: str) -> None:
    call_command("migrate", verbosity=0)
    engine.clock = lambda: dt.datetime(2026, 12, 9, 10, tzinfo=BOGOTA)
    operator, brief = imported_campaign(workdir, 300, ["sms", "email"])
    ProviderAccount.objects.create(
        code="locmem",
        name="L",
        channels=["sms", "email"],
        backend="brief.dispatch.providers.locmem.LocmemProvider",
        chunk_size=64,
        rate_per_second=1e6,
    )
    Suppression.objects.create(channel="sms", value="+573000000007", source="stop")
    sms = Template.objects.create(
        brief=brief, channel="sms", name="s", body="Hola {nombres}", created_by=operator
    )
    email = Template.objects.create(
        brief=brief,
        channel="email",
        name="e",
        subject="A",
        text="Hola {nombres}",
        created_by=operator,
    )
    first = actions.create_sweep(
        brief, actor=operator, channel="sms", template=sms, provider_account="locmem"
    )
    while engine.Runner(first).run()["next"] == "continue":
        pass
    ids = list(
        Message.objects.filter(sweep=first, status="sent").values_list(
            "provider_message_id", flat=True
        )[:100]
    )
    # through the one callback path, twice: the raw body and the events are kept once
    account = ProviderAccount.objects.get(code="locmem")
    for _ in range(2):
        hooks.ingest(
            account,
            [StatusUpdate(i, "delivered", raw={"id": i}) for i in ids],
            raw=json.dumps(ids),
            content_type="application/json",
        )
    second = actions.create_sweep(
        brief, actor=operator, channel="email", template=email, provider_account="locmem"
    )
    outcome = engine.Runner(second).run()
    parallel = parallel_sweep(brief, operator, sms)
    print(  # noqa: T201
        json.dumps(
            {
                "vendor": connection.vendor,
                "import": "ready",
                "first": engine.counts(first),
                "second": engine.counts(second),
                "second_next": outcome["next"],
                "evidence": {
                    "payloads": CallbackPayload.objects.count(),
                    "events": StatusEvent.objects.filter(provider="locmem", applied=True).count(),
                    "payload": StatusEvent.objects.filter(provider="locmem").first().payload,
                },
                **parallel,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
