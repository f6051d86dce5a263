from django.core.management.base import BaseCommand, CommandError

from audit.actors import acting_as, operator
from companies.commands import company_for_command
from companies.crypto import DecryptionError
from privacy.commands import person_arguments
from privacy.export import person_data_export
from privacy.person import PersonNotValid


class Command(BaseCommand):
    help = (
        "Print everything stored about one person of a company (an access request): JSON on "
        "standard output, or with --summary a readable text. Recorded in the audit trail."
    )

    def add_arguments(self, parser):
        person_arguments(parser)
        parser.add_argument("--summary", action="store_true", help="the readable summary instead of JSON")

    def handle(self, *args, **options):
        company = company_for_command(options["company"])
        with acting_as(operator("gdpr_export")):
            try:
                text = person_data_export(
                    company=company,
                    phone=options["phone"],
                    email=options["email"],
                    summary=options["summary"],
                )
            except PersonNotValid as exc:
                raise CommandError(str(exc)) from None
            except DecryptionError as exc:
                raise CommandError(f"Nothing exported: {exc}") from None
        self.stdout.write(text, ending="" if text.endswith("\n") else "\n")
