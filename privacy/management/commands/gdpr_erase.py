from django.core.management.base import BaseCommand, CommandError

from audit.actors import acting_as, operator
from companies.commands import company_for_command
from privacy.commands import person_arguments
from privacy.erasure import CalendarItem, ErasurePlan, ErasureResult, erase_person, erasure_plan
from privacy.person import TABLES, PersonNotValid

CONFIRMATION = "erase"


class Command(BaseCommand):
    help = (
        "Erase one person of a company (an erasure request): their future appointments are "
        "cancelled in Cal.com, their calls deleted at Retell, their rows here deleted or blanked. "
        "Prints the plan first; --dry-run stops there. Prints what staff must still do by hand."
    )

    def add_arguments(self, parser):
        person_arguments(parser)
        parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
        parser.add_argument(
            "--yes", "--no-input", "--noinput", dest="yes", action="store_true", help="do not ask to confirm"
        )

    def handle(self, *args, **options):
        company = company_for_command(options["company"])
        person = {"company": company, "phone": options["phone"], "email": options["email"]}
        with acting_as(operator("gdpr_erase")):
            try:
                plan = erasure_plan(**person)
            except PersonNotValid as exc:
                raise CommandError(str(exc)) from None
            self._write_plan(plan)
            if options["dry_run"]:
                self.stdout.write("Dry run: nothing was changed.")
                return
            if not plan.rows.found_any:
                self.stdout.write("Nothing is stored about this person: nothing to erase.")
                return
            if not options["yes"] and not self._confirmed():
                raise CommandError("Not confirmed: nothing was changed.")
            result = erase_person(**person)
        self._write_result(result)

    def _confirmed(self) -> bool:
        answer = input(f"Type '{CONFIRMATION}' to erase this person for good: ")
        return answer.strip().lower() == CONFIRMATION

    def _write_plan(self, plan: ErasurePlan) -> None:
        person = plan.rows.person
        who = ", ".join(value for value in (person.phone, person.email) if value)
        self.stdout.write(f"Company {person.company.slug}, person {who}. Found:")
        counts = plan.counts
        for table in TABLES:
            self.stdout.write(f"  {table.key:<20} {counts[table.key]:>6}")
        if plan.to_cancel or plan.unsure:
            self.stdout.write("Future appointments, cancelled in Cal.com first:")
            for appointment in [*plan.to_cancel, *plan.unsure]:
                item = CalendarItem.of(appointment)
                self.stdout.write(f"  {item.when}, {item.branch}, booking {item.uid or '-'}")
        if plan.retell_call_ids:
            how = "deleted through Retell's API" if plan.retell_configured else "NOT deleted: no Retell key"
            self.stdout.write(f"Calls at Retell ({how}): {len(plan.retell_call_ids)}")
        if plan.under_way:
            self.stdout.write(
                f"Warning: {plan.under_way} of their calls or work items are still under way; "
                "erasing now stops them. Wait a few minutes after a call if you can."
            )

    def _write_result(self, result: ErasureResult) -> None:
        self.stdout.write("Erased (rows deleted or blanked):")
        for key, count in result.erased.items():
            self.stdout.write(f"  {key:<20} {count:>6}")
        self.stdout.write(
            f"Cancelled in Cal.com: {len(result.cancelled)}; deleted at Retell: {len(result.retell_deleted)}"
        )
        if not result.staff_must_act:
            self.stdout.write("Nothing is left for staff to do.")
            return
        self.stdout.write("Staff must still:")
        for item in result.not_cancelled:
            where = f"{item.branch}, {item.when}, booking {item.uid or '-'}"
            self.stdout.write(f"  - cancel in Cal.com: {where} ({item.reason})")
        for item in result.retell_failed:
            self.stdout.write(f"  - delete call {item.call_id} in Retell ({item.reason})")
        if result.calendar_bookings:
            self.stdout.write(
                "  - have Cal.com erase the attendee of these bookings (it keeps cancelled and past "
                "ones with name and email): " + ", ".join(result.calendar_bookings)
            )
        if result.texts_sent:
            self.stdout.write("  - delete these texts at the SMS provider: " + ", ".join(result.texts_sent))
