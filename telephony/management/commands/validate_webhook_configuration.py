from django.core.management.base import BaseCommand, CommandError

from companies.commands import company_for_command
from integrations.errors import IntegrationError
from telephony.retell.agents import webhook_configuration_validate
from telephony.retell.gateway import RetellNotConfigured, retell_failure_message


class Command(BaseCommand):
    help = (
        "Check that every Retell agent of the company's numbers sends call_started, call_ended and "
        "call_analyzed to the company's webhook URL; --fix updates the agents' drafts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="company slug")
        parser.add_argument("--fix", action="store_true", help="PATCH agents whose configuration differs")

    def handle(self, *args, **options):
        company = company_for_command(options["company"])
        try:
            checks = webhook_configuration_validate(company=company, fix=options["fix"])
        except (RetellNotConfigured, IntegrationError) as exc:
            raise CommandError(retell_failure_message(exc)) from exc
        if not checks:
            raise CommandError(
                "No number of this company has an inbound agent: run sync_phone_numbers first."
            )
        for check in checks:
            self.stdout.write(check.describe())
        failing = [check for check in checks if not check.ok]
        if failing:
            hint = "" if options["fix"] else " (run again with --fix)"
            raise CommandError(f"{len(failing)} of {len(checks)} agents are not configured for us{hint}.")
        self.stdout.write(self.style.SUCCESS(f"{len(checks)} agents send their webhooks to us."))
