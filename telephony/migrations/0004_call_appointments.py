"""Step 2: one link between calls and appointments, Call.appointments, in place of
Call.appointment and Appointment.call (kept in step by hand until now). Both old links are
copied into it."""

from django.db import migrations, models


def copy_links(apps, schema_editor):
    Call = apps.get_model("telephony", "Call")
    Appointment = apps.get_model("booking", "Appointment")
    Link = Call.appointments.through
    pairs = set(Call.objects.exclude(appointment=None).values_list("pk", "appointment_id"))
    pairs |= set(Appointment.objects.exclude(call=None).values_list("call_id", "pk"))
    Link.objects.bulk_create(
        [Link(call_id=call, appointment_id=appointment) for call, appointment in sorted(pairs)],
        ignore_conflicts=True,
    )


def copy_links_back(apps, schema_editor):
    Call = apps.get_model("telephony", "Call")
    for call in Call.objects.prefetch_related("appointments"):
        first = call.appointments.order_by("pk").first()
        if first is not None:
            Call.objects.filter(pk=call.pk).update(appointment=first)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0006_appointment_call_link_frees_its_name"),
        ("telephony", "0003_requeue_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="call",
            name="appointments",
            field=models.ManyToManyField(blank=True, related_name="calls", to="booking.appointment"),
        ),
        migrations.RunPython(copy_links, copy_links_back),
        migrations.RemoveField(model_name="call", name="appointment"),
    ]
