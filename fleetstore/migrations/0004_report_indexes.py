# Indexes for the reports (issue 21) and the car list's order.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("fleetstore", "0003_storedevent_fleet_time"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="storedcar",
            index=models.Index(fields=["fleet", "name", "car_id"],
                               name="fleetstore_car_fleet_name"),
        ),
        migrations.AddIndex(
            model_name="storedevent",
            index=models.Index(fields=["fleet", "type", "utc_date_time", "car"],
                               name="fleetstore_event_fleet_type"),
        ),
    ]
