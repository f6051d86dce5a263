from django.core.management.base import BaseCommand

from integrations.cache import clear_cached_data


class Command(BaseCommand):
    help = "Drop cached Cal.com/Retell data (event types, availability, agents, number lookups)."

    def handle(self, *args, **options):
        clear_cached_data()
        self.stdout.write(self.style.SUCCESS("Integration cache cleared."))
