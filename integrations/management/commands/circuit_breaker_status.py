from django.core.management.base import BaseCommand, CommandError

from integrations.breaker import breaker_for
from integrations.models import CircuitBreakerState


class Command(BaseCommand):
    help = "Show every external service's circuit breaker; --reset SERVICE closes one."

    def add_arguments(self, parser):
        parser.add_argument("--reset", metavar="SERVICE", help="force this breaker closed")

    def handle(self, *args, **options):
        if options["reset"]:
            if not CircuitBreakerState.objects.filter(service=options["reset"]).exists():
                raise CommandError(f"No breaker named {options['reset']!r}.")
            breaker_for(options["reset"]).reset()
            self.stdout.write(self.style.SUCCESS(f"{options['reset']}: reset to closed."))
        rows = CircuitBreakerState.objects.order_by("service")
        if not rows:
            self.stdout.write("No breaker has been used yet.")
        for row in rows:
            snapshot = breaker_for(row.service).snapshot()
            opened = snapshot["opened_at"].isoformat() if snapshot["opened_at"] else "-"
            self.stdout.write(
                f"{row.service}: {snapshot['state']}  failures={snapshot['failure_count']} "
                f"successes={snapshot['success_count']} probes={snapshot['half_open_probes']} "
                f"opened_at={opened}"
            )
