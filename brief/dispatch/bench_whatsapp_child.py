"""Child programs of ``whatsapp_callbacks``: ``python -m brief.dispatch.bench_whatsapp_child``.

``setup N CODE SECRET`` migrates a fresh database (``DATABASE_URL``) and stores a WhatsApp
sweep of N sent messages (``wamid.bench00000000``…) through account CODE; ``count CODE`` prints
how many messages are delivered and how many distinct statuses were stored for CODE.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any


def setup(n: str, code: str, secret: str) -> dict[str, Any]:
    import django

    django.setup()
    from brief.accounts.models import Area, User
    from brief.campaigns.models import Brief
    from brief.contacts.models import Contact, ContactBase
    from brief.content.models import Template
    from brief.core.bench import migrate_fresh
    from brief.dispatch.models import Message, ProviderAccount, Sweep

    size = int(n)
    migrate_fresh()
    area = Area.objects.create(code="bench", name="Bench")
    user = User.objects.create_user("bench", area=area)
    brief = Brief.objects.create(code="BRF-BENCH-0001", area=area, requester=user, name="Bench",
                                 status="executing", channels=["whatsapp"])  # fmt: skip
    base = ContactBase.objects.create(brief=brief, source_name="b.csv", created_by=user,
                                      status="ready")  # fmt: skip
    account = ProviderAccount.objects.create(
        code=code,
        name="WA",
        channels=["whatsapp"],
        backend="brief.dispatch.providers.whatsapp_cloud.WhatsAppCloudProvider",
        options={"app_secret": secret, "verify_token": "v"},
    )
    template = Template.objects.create(brief=brief, channel="whatsapp", name="t",
        body="Hola {{1}}", wa_name="aviso", wa_variables=["nombres"], wa_status="approved",
        created_by=user)  # fmt: skip
    sweep = Sweep.objects.create(brief=brief, number=1, channel="whatsapp", template=template,
        base=base, provider_account=account, created_by=user, state="done", total=size)  # fmt: skip
    Contact.objects.bulk_create(
        [
            Contact(
                base=base,
                row=i + 2,
                doc_type="CC",
                doc_number=str(10_000_000 + i),
                mobile=f"+57300{1_000_000 + i}",
            )
            for i in range(size)
        ],
        batch_size=5000,
    )
    ids = Contact.objects.filter(base=base).order_by("row").values_list("id", flat=True)
    Message.objects.bulk_create(
        [
            Message(
                sweep=sweep,
                contact_id=cid,
                person=f"CC:{10_000_000 + i}",
                to=f"+57300{1_000_000 + i}",
                status="sent",
                rank=3,
                provider_message_id=f"wamid.bench{i:08d}",
            )
            for i, cid in enumerate(ids)
        ],
        batch_size=5000,
    )
    return {"messages": Message.objects.count()}


def count(code: str) -> dict[str, Any]:
    import django

    django.setup()
    from brief.dispatch.models import Message, StatusEvent

    stored = StatusEvent.objects.filter(provider=code).values("provider_message_id", "status")
    return {
        "delivered": Message.objects.filter(status="delivered").count(),
        "stored": stored.distinct().count(),
    }


PROGRAMS: dict[str, Callable[..., dict[str, Any]]] = {"setup": setup, "count": count}


def main(argv: list[str]) -> None:
    """``bench_whatsapp_child PROGRAM ARGS…``: run one program, print its figures as JSON."""
    name, *args = argv
    print(json.dumps(PROGRAMS[name](*args)))  # noqa: T201  (the parent reads stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
