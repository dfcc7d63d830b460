"""The five questionnaires (S2020, P, N, E, W) and survey policy v1, from surveys/data/."""
from django.db import migrations


def forwards(apps, schema_editor):
    from surveys.loading import forwards as load

    load(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
