from django.db import migrations

TASK = "booking.tasks.prune_calendar_notices"


def add_schedule(apps, schema_editor):
    # Daily: processed rows older than INBOX_KEEP_DAYS go (askpro.inbox.inbox_prune).
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=TASK, defaults={"name": "Prune old Cal.com notices", "schedule_type": "D", "repeats": -1}
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [("booking", "0013_translatable_labels")]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
