"""Alert policy version 1 with the spec's defaults (alerts.md), active from the start."""
from django.db import migrations


def forwards(apps, schema_editor):
    from alerts.params import AlertParams

    Policy = apps.get_model("alerts", "AlertPolicy")
    if not Policy.objects.exists():
        Policy.objects.create(version=1, status="active", params=AlertParams().to_json(),
                              note="Spec defaults (alerts.md)")


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
