from django.core.management.base import BaseCommand, CommandError

from booking.services import BookingError, event_types_list
from companies.commands import company_for_command


class Command(BaseCommand):
    help = "List a company's Cal.com event types (personal, and teams set on its branches)."

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="company slug")

    def handle(self, *args, **options):
        company = company_for_command(options["company"])
        try:
            event_types = event_types_list(company=company)
        except BookingError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{'id':>8}  {'length':>6}  {'team':>8}  title")
        for et in event_types:
            team = et.team_id or "-"
            self.stdout.write(f"{et.id:>8}  {et.length or '?':>6}  {team:>8}  {et.title}")
        self.stdout.write(f"{len(event_types)} event types.")
