"""``brief backup``: the SQLite database and the stored files in one archive."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from brief.core import backup
from brief.core.exceptions import DomainError


class Command(BaseCommand):
    help = "Respalda la base de datos SQLite y los archivos almacenados en un .tar.gz."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=None, help="carpeta de destino")

    def handle(self, *args, **opts):
        try:
            result = backup.backup(opts["output"] or backup.default_dir())
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(backup.describe(result))
