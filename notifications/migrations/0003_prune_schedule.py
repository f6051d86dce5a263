from django.db import migrations

TASK = "notifications.tasks.prune_notifications"


def add_schedule(apps, schema_editor):
    # Daily: processed rows older than INBOX_KEEP_DAYS go (askpro.inbox.inbox_prune).
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=TASK, defaults={"name": "Prune old sent notifications", "schedule_type": "D", "repeats": -1}
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_send_schedule")]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
