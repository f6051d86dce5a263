from django.core.management.base import BaseCommand, CommandError

from audit.actors import acting_as, operator
from companies.rotation import BATCH_SIZE, keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt everything encrypted at rest (API keys, call transcripts and summaries, "
        "follow-up notes) with the first key of ENCRYPTION_KEYS. Run after prepending a new key "
        "and deploying; once it succeeds, the old key can be removed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; change nothing.")
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help=f"Rows per transaction (default {BATCH_SIZE})."
        )

    def handle(self, *args, dry_run: bool, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        with acting_as(operator("rotate_secrets")):
            report = keys_rotate(batch_size=batch_size, dry_run=dry_run)
        done = "Would re-encrypt" if dry_run else "Re-encrypted"
        self.stdout.write(f"{done} the keys of {report.secrets.total} companies.")
        for label, rewritten in report.texts.items():
            self.stdout.write(f"{done} {rewritten.total} {label} rows of {len(rewritten.rows)} companies.")
        if report.unreadable:
            raise CommandError(
                f"{report.unreadable} values cannot be decrypted with any key in ENCRYPTION_KEYS and "
                "were left as they are: put back the key that wrote them, run rotate_secrets again, "
                "and keep the old key until it succeeds."
            )
        if not dry_run:
            self.stdout.write(self.style.SUCCESS("Everything is encrypted with the newest key now."))
