# Retention source of a tier (issue 19): under a policy that takes retention from the churn model, "model" with
# the score's date or "rules" (no score: the fallback); "" under the rules policy.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0015_customer_indexes_in_unique_keys'),
    ]

    operations = [
        migrations.AddField(
            model_name='tiersnapshot',
            name='retention_scored_on',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='tiersnapshot',
            name='retention_source',
            field=models.CharField(blank=True, default='', max_length=8),
        ),
        migrations.AddField(
            model_name='tierstaging',
            name='retention_scored_on',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='tierstaging',
            name='retention_source',
            field=models.CharField(blank=True, default='', max_length=8),
        ),
    ]
