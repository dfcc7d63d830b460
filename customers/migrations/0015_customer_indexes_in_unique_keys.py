"""Drop the separate customer_id index of the five per-customer tables: each table's unique key leads with
customer_id and serves those lookups, and every imported row paid for writing the extra index.

Only the index goes: Django's plain AlterField would also drop and re-add the foreign key, which re-checks
every row of tables with tens of millions of rows."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0014_tier_change_reason_survey_age'),
    ]

    state_operations = [
        migrations.AlterField(
            model_name='application',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='applications', to='customers.customer'),
        ),
        migrations.AlterField(
            model_name='dailyactivity',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='activity', to='customers.customer'),
        ),
        migrations.AlterField(
            model_name='event',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='customers.customer'),
        ),
        migrations.AlterField(
            model_name='ipoquota',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='ipo_quotas', to='customers.customer'),
        ),
        migrations.AlterField(
            model_name='snapshot',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='snapshots', to='customers.customer'),
        ),
    ]

    indexes = {"customers_application": "b36c1402", "customers_dailyactivity": "11860f14",
               "customers_event": "85be2d97", "customers_ipoquota": "8366a2a5", "customers_snapshot": "8f86e763"}
    operations = [migrations.SeparateDatabaseAndState(
        state_operations=state_operations,
        database_operations=[
            migrations.RunSQL(f'DROP INDEX IF EXISTS "{table}_customer_id_{suffix}"',
                              reverse_sql=f'CREATE INDEX "{table}_customer_id_{suffix}" ON "{table}" ("customer_id")')
            for table, suffix in indexes.items()],
    )]
