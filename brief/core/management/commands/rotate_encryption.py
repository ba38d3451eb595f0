"""``brief rotate_encryption``: re-encrypt every stored file and every encrypted database value
(raw provider bodies) with the first key."""

from django.core.management.base import BaseCommand, CommandError

from brief.core import crypto, fields, storage


class Command(BaseCommand):
    help = (
        "Vuelve a cifrar cada archivo guardado y cada cuerpo crudo de proveedor guardado en la "
        "base con la primera clave de BRIEF_ENCRYPTION_KEYS (y cifra los que se guardaron sin "
        "cifrar)."
    )

    def handle(self, *args, **options):
        if not crypto.enabled():
            raise CommandError("BRIEF_ENCRYPTION_KEYS no está configurada.")
        done = storage.rotate_files()
        self.stdout.write(
            f"{done.rewritten} archivos cifrados de nuevo, {done.current} ya estaban con la "
            f"clave actual, {done.missing} no estaban en el disco."
        )
        values = fields.rotate_values()
        self.stdout.write(
            f"{values.rewritten} datos de la base cifrados de nuevo, {values.current} ya "
            f"estaban con la clave actual."
        )
        if values.altered:
            raise CommandError(
                f"{values.altered} datos de la base no se pudieron descifrar (alterados o "
                "cifrados con una clave que ya no está configurada); quedaron como estaban."
            )
