from django.db import migrations

TASK = "booking.tasks.reconcile_calendars"


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=TASK,
        defaults={"name": "Reconcile with Cal.com", "schedule_type": "I", "minutes": 15, "repeats": -1},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [("booking", "0010_calendar_notice_schedule")]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
