from django.core.management.base import BaseCommand, CommandError

from companies.commands import company_for_command
from integrations.errors import IntegrationError
from telephony.retell.gateway import RetellNotConfigured, retell_failure_message
from telephony.retell.phone_sync import phone_numbers_sync


class Command(BaseCommand):
    help = (
        "Import a company's phone numbers from its Retell workspace. New numbers arrive inactive "
        "until a branch is assigned; numbers Retell no longer lists are reported, never deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="company slug")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")

    def handle(self, *args, **options):
        company = company_for_command(options["company"])
        try:
            report = phone_numbers_sync(company=company, dry_run=options["dry_run"])
        except (RetellNotConfigured, IntegrationError) as exc:
            raise CommandError(retell_failure_message(exc)) from exc
        would = "would be " if report.dry_run else ""
        sections = [
            (f"{would}created (inactive until a branch is assigned)", report.created),
            (f"{would}updated", report.updated),
            ("unchanged", report.unchanged),
            ("missing in Retell (kept; deactivate them in admin if they are gone)", report.missing),
            ("WARNING: stored for another company (left alone)", report.conflicts),
            ("WARNING: skipped (not a valid phone number)", report.skipped),
            (
                "note: inbound webhook is not ours (see manage.py retell_tools)",
                report.inbound_webhook_elsewhere,
            ),
        ]
        for title, numbers in sections:
            if numbers:
                self.stdout.write(f"{title}: {', '.join(n or '(none)' for n in numbers)}")
        if report.dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        self.stdout.write(self.style.SUCCESS(f"{company.slug}: {report.summary()}"))
