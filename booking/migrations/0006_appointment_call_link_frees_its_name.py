"""Step 1 of moving the call link to Call.appointments: the old Appointment.call stops claiming
the name `appointments` on Call, so telephony can add its link under that name and copy into it."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0005_unique_messages"),
        ("telephony", "0003_requeue_schedule"),
    ]

    operations = [
        migrations.AlterField(
            model_name="appointment",
            name="call",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="telephony.call",
            ),
        ),
    ]
