import os

from django.core.management.base import BaseCommand

from companies.demo import demo_tenant_ensure


class Command(BaseCommand):
    help = "Create (or complete) the demo tenant and the `admin` superuser. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--sandbox-url", help="where the Cal.com sandbox runs (default http://127.0.0.1:8025/v2)"
        )

    def handle(self, *args, **options):
        result = demo_tenant_ensure(
            admin_password=os.environ.get("DEMO_ADMIN_PASSWORD") or None, sandbox_url=options["sandbox_url"]
        )
        company = result.company
        self.stdout.write(
            f"Demo company '{company.slug}': {company.branches.count()} branches, "
            f"{company.phone_numbers.count()} phone numbers."
        )
        self.stdout.write(f"Webhook URL key: {company.webhook_key}")
        if result.admin_password and not os.environ.get("DEMO_ADMIN_PASSWORD"):
            self.stdout.write(
                self.style.WARNING(f"Superuser 'admin' password: {result.admin_password}  (shown once)")
            )
        elif result.admin_password:
            self.stdout.write("Superuser 'admin' password set from DEMO_ADMIN_PASSWORD.")
        else:
            self.stdout.write(
                "Superuser 'admin' exists; password unchanged (set DEMO_ADMIN_PASSWORD to reset)."
            )
