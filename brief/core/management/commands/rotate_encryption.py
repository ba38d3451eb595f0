"""``brief rotate_encryption``: re-encrypt every stored file with the first key."""

from django.core.management.base import BaseCommand, CommandError

from brief.core import crypto, storage


class Command(BaseCommand):
    help = (
        "Vuelve a cifrar cada archivo guardado con la primera clave de BRIEF_ENCRYPTION_KEYS "
        "(y cifra los que se guardaron sin cifrar)."
    )

    def handle(self, *args, **options):
        if not crypto.enabled():
            raise CommandError("BRIEF_ENCRYPTION_KEYS no está configurada.")
        done = storage.rotate_files()
        self.stdout.write(
            f"{done.rewritten} archivos cifrados de nuevo, {done.current} ya estaban con la "
            f"clave actual, {done.missing} no estaban en el disco."
        )
