"""Step 3: Appointment.call is gone; the link lives on Call.appointments (copied there in step 2)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0006_appointment_call_link_frees_its_name"),
        ("telephony", "0004_call_appointments"),
    ]

    operations = [migrations.RemoveField(model_name="appointment", name="call")]
