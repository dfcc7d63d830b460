from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("surveys", "0003_repair_double_filings")]
    operations = [
        migrations.AddConstraint(
            model_name="surveyresponse",
            constraint=models.UniqueConstraint(condition=models.Q(("outcome", "completed")), fields=("plan_item",),
                                               name="one_completed_response_per_item"),
        ),
        migrations.AddConstraint(
            model_name="surveyresponse",
            constraint=models.UniqueConstraint(condition=models.Q(("outcome", "completed")),
                                               fields=("customer", "version", "surveyed_on", "channel"),
                                               name="one_completed_response_per_survey"),
        ),
    ]
