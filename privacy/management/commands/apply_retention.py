from django.core.management.base import BaseCommand, CommandError

from askpro.correlation import bound
from audit.actors import acting_as, operator
from companies.models import Company
from privacy.retention import RetentionIncomplete, apply_retention, apply_retention_everywhere


class Command(BaseCommand):
    help = (
        "Remove personal data past each company's retention periods now (the daily task does the "
        "same), or with --dry-run list what would be removed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", metavar="SLUG", help="only this company (its short name)")
        parser.add_argument("--dry-run", action="store_true", help="count what is due; change nothing")

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        company = self._company(options["company"]) if options["company"] else None
        with bound(), acting_as(operator("apply_retention")):
            try:
                if company:
                    reports = [apply_retention(company=company, dry_run=dry_run)]
                else:
                    reports = apply_retention_everywhere(dry_run=dry_run)
            except RetentionIncomplete as exc:
                self._write(exc.reports)
                raise CommandError(str(exc)) from exc
        self._write(reports)

    def _company(self, slug: str) -> Company:
        try:
            return Company.objects.get(slug=slug)
        except Company.DoesNotExist:
            raise CommandError(f"No company with the short name {slug!r}.") from None

    def _write(self, reports) -> None:
        for report in reports:
            self.stdout.write(str(report))
            for kind, count in report.removed.items():
                self.stdout.write(f"  {kind}: {count}")
        if reports and all(report.dry_run for report in reports):
            self.stdout.write("Dry run: nothing was changed.")
