"""``brief restore ARCHIVE``: put a ``brief backup`` archive back (database and files)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from brief.core import backup
from brief.core.exceptions import DomainError


class Command(BaseCommand):
    help = "Restaura una copia hecha con «brief backup» (base de datos y archivos)."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="reemplazar una base de datos con datos"
        )

    def handle(self, *args, **opts):
        try:
            result = backup.restore(opts["archive"], force=opts["force"])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(backup.describe(result))
