from datetime import date

from django.core.management.base import BaseCommand, CommandError

from companies.commands import company_for_command
from companies.demo import next_weekday
from telephony.simulation import demo_call_events, post_signed


class Command(BaseCommand):
    help = "Post a signed call_started, call_ended and call_analyzed for a company to a running server."

    def add_arguments(self, parser):
        parser.add_argument("--company", default="demo", help="company slug (default: demo)")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="where AskPro runs")
        parser.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (default: next weekday)")
        parser.add_argument("--time", default="11:00", help="HH:MM in the branch's time zone")
        parser.add_argument("--name", default="Jana Caller")
        parser.add_argument("--email", default="jana.caller@example.com")

    def handle(self, *args, **options):
        company = company_for_command(options["company"])
        if not company.retell_api_key:
            raise CommandError(f"No company {options['company']!r} with a Retell key.")
        number = company.phone_numbers.filter(is_active=True).values_list("number", flat=True).first()
        if number is None:
            raise CommandError("The company has no active phone number.")
        events = demo_call_events(
            to_number=number,
            day=options["date"] or next_weekday(),
            at=options["time"],
            name=options["name"],
            email=options["email"],
        )
        url = f"{options['url'].rstrip('/')}/api/retell/webhook/{company.webhook_key}"
        for payload in events:
            response = post_signed(url, payload, company.retell_api_key.reveal())
            self.stdout.write(f"{payload['event']}: HTTP {response.status_code}")
            if response.status_code >= 300:
                raise CommandError(f"{payload['event']} was refused: {response.text[:200]}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Call {events[0]['call']['call_id']} sent; the appointment shows in admin "
                "once the worker ran."
            )
        )
