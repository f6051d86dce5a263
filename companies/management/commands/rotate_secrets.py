from django.core.management.base import BaseCommand, CommandError

from companies.crypto import DecryptionError
from companies.services import secrets_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt stored API keys with the first key of ENCRYPTION_KEYS. Run after prepending "
        "a new key; then the old key can be removed."
    )

    def handle(self, *args, **options):
        try:
            changed = secrets_reencrypt()
        except DecryptionError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the keys of {changed} companies."))
