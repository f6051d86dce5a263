from django.db import migrations

TASK = "booking.tasks.retry_due_appointment_changes"


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=TASK,
        defaults={"name": "Retry due appointment changes", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [("booking", "0008_calendar_truth")]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
