from django.db import migrations

TASK = "booking.tasks.requeue_due_calendar_notices"


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=TASK,
        defaults={"name": "Re-queue due calendar notices", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [("booking", "0009_change_retry_schedule")]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
