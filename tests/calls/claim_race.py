"""Twenty advisors claiming from one call queue at once (``calls.actions.claim_next``).

Shared by the SQLite test and ``pg_claims.py`` (the same race on a real PostgreSQL).
"""

from __future__ import annotations

import threading

from django.db import connection

from brief.accounts.actions import set_roles
from brief.accounts.models import Area, Provider, User
from brief.calls import actions
from brief.calls.models import QueueEntry
from brief.campaigns.models import AdvisorAssignment, Brief
from brief.contacts.models import Contact
from brief.core.roles import Role
from tests.helpers import OPEN, ready_base


def queue_with_advisors(contacts: int, advisors: int) -> tuple[Brief, list[User]]:
    """An executing call brief whose queue holds ``contacts`` people, and its advisors."""
    area = Area.objects.create(code="cola", name="Área de la cola")
    provider = Provider.objects.create(code="bpo-cola", name="BPO de la cola")
    requester = User.objects.create_user("sol-cola", area=area)
    director = User.objects.create_user("dir-cola", provider=provider)
    set_roles(director, [Role.PROVEEDOR])
    brief = Brief.objects.create(
        code="BRF-2026-9001", area=area, requester=requester, provider=provider,
        status="executing", name="Cola de llamadas", channels=["call"],
    )  # fmt: skip
    base = ready_base(brief, director)
    Contact.objects.bulk_create(
        Contact(base=base, row=i + 2, doc_type="CC", doc_number=str(50_000_000 + i),
                full_name=f"Persona {i}", mobile=f"+57300{i:07d}", can_call=True)
        for i in range(contacts)
    )  # fmt: skip
    actions.fill_queue(brief)
    team = []
    for i in range(advisors):
        advisor = User.objects.create_user(f"asesor-{i}", provider=provider)
        set_roles(advisor, [Role.ASESOR])
        AdvisorAssignment.objects.create(brief=brief, advisor=advisor, assigned_by=director)
        team.append(User.objects.get(pk=advisor.pk))
    return brief, team


def race(brief: Brief, advisors: list[User]) -> dict[str, list[int]]:
    """Every advisor claims, works (closes) and claims again until the queue is empty, all at
    once in their own thread and connection; returns the contacts each one got."""
    got: dict[str, list[int]] = {a.username: [] for a in advisors}
    start = threading.Barrier(len(advisors))
    errors: list[BaseException] = []

    def work(advisor: User) -> None:
        try:
            start.wait()
            while (entry := actions.claim_next(advisor, brief, now=OPEN)) is not None:
                got[advisor.username].append(entry.contact_id)
                QueueEntry.objects.filter(pk=entry.pk).update(closed=True, holder=None)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(a,)) for a in advisors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return got
