from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import migrations

from core import clock

TASK = "privacy.tasks.apply_retention_daily"
# At night on the clinics' clock, when nobody calls: the first run after a deployment may have
# a lot to remove.
RUNS_AT = time(3, 30)
ZONE = ZoneInfo("Europe/Berlin")


def add_schedule(apps, schema_editor):
    # Daily: each company's personal data past its retention periods goes (privacy.retention).
    first_run = datetime.combine(clock.today_in(ZONE) + timedelta(days=1), RUNS_AT, tzinfo=ZONE)
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=TASK,
        defaults={
            "name": "Remove personal data past its retention period",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": first_run,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
