"""Run the forward race on the database named by DATABASE_URL (used on PostgreSQL).

Executed as a script by ``test_actions.py``; prints the outcomes as JSON.
"""

from __future__ import annotations

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brief.test_settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402

from brief.accounts.actions import set_roles  # noqa: E402
from brief.accounts.models import Area, Provider, User  # noqa: E402
from brief.campaigns import actions  # noqa: E402
from brief.campaigns.models import BriefTransition  # noqa: E402
from tests.helpers import BASE_CSV, brief_data, race  # noqa: E402


def user(name, role, **kw):
    u = User.objects.create_user(name, password="x", email=f"{name}@x.co", **kw)
    set_roles(u, [role])
    return User.objects.get(pk=u.pk)


def main() -> None:
    call_command("migrate", verbosity=0)
    area = Area.objects.create(code="a", name="Área")
    Provider.objects.create(code="bpo", name="BPO")
    sol = user("sol", "solicitante", area=area)
    jefe = user("jefe", "jefe", area=area)
    com = user("com", "comunicaciones")
    a1, a2 = user("a1", "analista_ocm"), user("a2", "analista_ocm")
    brief = actions.create_brief(actor=sol, data=brief_data())
    actions.add_attachment(
        brief, actor=sol, kind="base", upload=SimpleUploadedFile("b.csv", BASE_CSV.encode())
    )
    actions.give_approval(brief, "boss", actor=jefe)
    actions.give_approval(brief, "comms", actor=com)
    actions.perform(brief, "submit", actor=sol)
    actions.perform(brief, "start_review", actor=a1)
    outcomes = race(brief, [a1, a2], "forward")
    print(  # noqa: T201
        json.dumps(
            {
                "vendor": django.db.connection.vendor,
                "outcomes": outcomes,
                "transitions": BriefTransition.objects.filter(action="forward").count(),
            }
        )
    )


if __name__ == "__main__":
    main()
