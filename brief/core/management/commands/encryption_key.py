"""``brief encryption_key``: print a new key for ``BRIEF_ENCRYPTION_KEYS``."""

from django.core.management.base import BaseCommand

from brief.core import crypto


class Command(BaseCommand):
    help = "Imprime una clave nueva para BRIEF_ENCRYPTION_KEYS (32 bytes en base64)."

    def handle(self, *args, **options):
        self.stdout.write(crypto.new_key())
