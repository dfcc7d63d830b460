"""The study's seven sales offices and the initial advisor capacity caps (IA 400, WA 800, institutional 40)."""
from django.db import migrations

OFFICES = [
    ("ZS", "分公司直属营业部", "Branch direct office"),
    ("CS", "长沙营业部", "Changsha office"),
    ("XS", "星沙营业部", "Xingsha office"),
    ("HY", "衡阳营业部", "Hengyang office"),
    ("XT", "湘潭营业部", "Xiangtan office"),
    ("YY", "岳阳营业部", "Yueyang office"),
    ("ZZ", "株洲营业部", "Zhuzhou office"),
]


def forwards(apps, schema_editor):
    Office = apps.get_model("customers", "Office")
    for code, zh, en in OFFICES:
        Office.objects.update_or_create(code=code, defaults={"name_zh": zh, "name_en": en})
    Policy = apps.get_model("customers", "AdvisorCapacityPolicy")
    if not Policy.objects.exists():
        Policy.objects.create(
            wealth_advisor_cap=800, investment_advisor_cap=400, institutional_advisor_cap=40,
            note="Study 3.3: WA ≤ 800, IA ≤ 400, institutional advisor ≤ 40 customers",
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
