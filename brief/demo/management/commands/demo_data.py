"""``brief demo_data``: idempotent demo areas, users (password ``demo``), provider, rules,
briefs in several states, a sweep on the simulated provider, and the SMPP and WhatsApp
accounts on the loopback peers of ``brief demo_peers`` with a brief to send through them."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from brief.accounts.actions import ensure_role_groups, set_roles
from brief.accounts.models import Area, Provider, User
from brief.core.roles import Role
from brief.core.sla import ensure_default_rules
from brief.demo import briefs, channels, sweeps

AREAS = [
    ("credito-cobranza", "Vicepresidencia de Crédito y Cobranza", "credito@icetex.example"),
    ("fondos", "Vicepresidencia de Fondos en Administración", "fondos@icetex.example"),
    ("relaciones-internacionales", "Oficina de Relaciones Internacionales", "ori@icetex.example"),
]

# username, first name, last name, roles, area code, provider?, superuser?
USERS = [
    ("solicitante", "Sofía", "Ramírez", [Role.SOLICITANTE], "credito-cobranza", False, False),
    ("jefe", "Jorge", "Pardo", [Role.JEFE], "credito-cobranza", False, False),
    ("comunicaciones", "Camila", "Ortiz", [Role.COMUNICACIONES], None, False, False),
    ("analista", "Andrés", "Gómez", [Role.ANALISTA_OCM], None, False, False),
    ("lider", "Lucía", "Herrera", [Role.LIDER_PROCESO], None, False, False),
    ("proveedor", "Pedro", "Castaño", [Role.PROVEEDOR], None, True, False),
    ("asesor", "Ana", "Suárez", [Role.ASESOR], None, True, False),
    ("auditor", "Álvaro", "Mejía", [Role.AUDITOR], None, False, False),
    ("admin", "Admin", "Brief", [], None, False, True),
]


class Command(BaseCommand):
    help = "Carga datos de demostración (idempotente). Contraseña de todos: demo."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true")

    @transaction.atomic
    def handle(self, *args, **opts):
        ensure_role_groups()
        ensure_default_rules()
        areas = {}
        for code, name, email in AREAS:
            areas[code], _ = Area.objects.get_or_create(
                code=code, defaults={"name": name, "email": email}
            )
        provider, _ = Provider.objects.get_or_create(
            code="contact-center",
            defaults={"name": "Contact Center BPO (demo)", "email": "operacion@bpo.example"},
        )
        for username, first, last, roles, area, is_provider, superuser in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@brief.example",
                    area=areas.get(area) if area else None,
                    provider=provider if is_provider else None,
                    is_staff=superuser,
                    is_superuser=superuser,
                )
                user.set_password("demo")
                user.save()
                set_roles(user, [r.value for r in roles])
        # Briefs first (walked through the workflow), then the sweep that needs one executing.
        briefs.load(self)
        sweeps.load(self)
        channels.load(self)
        if not opts["quiet_logins"]:
            self.stdout.write("Usuarios de demostración (contraseña: demo):")
            for username, _f, _l, roles, area, _p, _su in USERS:
                label = ", ".join(str(Role(r).label) for r in roles) or "administrador"
                self.stdout.write(f"  {username:<15} {label}{' · ' + area if area else ''}")
