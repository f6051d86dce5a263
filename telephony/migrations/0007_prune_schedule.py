from django.db import migrations

TASK = "telephony.tasks.prune_webhook_events"


def add_schedule(apps, schema_editor):
    # Daily: processed rows older than INBOX_KEEP_DAYS go (askpro.inbox.inbox_prune).
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        func=TASK, defaults={"name": "Prune old Retell webhook events", "schedule_type": "D", "repeats": -1}
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [("telephony", "0006_translatable_labels")]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
