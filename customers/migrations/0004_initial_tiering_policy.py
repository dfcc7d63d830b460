"""Tiering policy version 1 with the spec's defaults, active from the start."""
from django.db import migrations


def forwards(apps, schema_editor):
    from customers.tiering.params import TieringParams

    Policy = apps.get_model("customers", "TieringPolicy")
    if not Policy.objects.exists():
        Policy.objects.create(version=1, status="active", params=TieringParams().to_json(),
                              note="Spec defaults (tiering.md)")


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_tiering")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
