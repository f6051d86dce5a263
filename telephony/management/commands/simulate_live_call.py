from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from companies.commands import company_for_command
from companies.demo import next_weekday
from telephony.simulation import live_call_script


class Command(BaseCommand):
    help = (
        "Script a live call against a running server: inbound variables, availability, booking, "
        "find, reschedule and cancel, all through the signed Retell endpoints. The call changes "
        "only the appointment it booked and cancels it at the end, so it can run any number of times."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", default="demo")
        parser.add_argument(
            "--base-url",
            "--url",
            dest="base_url",
            help="where AskPro runs (default: PUBLIC_BASE_URL; `make run` prints the one it serves)",
        )
        parser.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (default: next weekday)")

    def handle(self, *args, **options):
        company = company_for_command(options["company"])
        number = company.phone_numbers.filter(is_active=True).first()
        if number is None or not company.retell_api_key:
            raise CommandError(f"Company {options['company']!r} needs a Retell key and an active number.")
        day = options["date"] or next_weekday()
        try:
            answers = live_call_script(
                base_url=(options["base_url"] or settings.PUBLIC_BASE_URL).rstrip("/"),
                webhook_key=company.webhook_key,
                api_key=company.retell_api_key.reveal(),
                to_number=number.number,
                day=day,
                say=self.stdout.write,
            )
        except Exception as exc:
            raise CommandError(f"The scripted call failed: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Live call scripted: {len(answers)} function calls answered."))
