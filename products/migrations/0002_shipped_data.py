"""Version 1 of the catalogue, the eligibility matrix, the advisor-grade matrix and the policy
parameters, from the project's own copy of the spec's data (products/data/)."""
from django.db import migrations


def forwards(apps, schema_editor):
    from products import shipped

    Product = apps.get_model("products", "Product")
    ProductVersion = apps.get_model("products", "ProductVersion")
    ProductPolicy = apps.get_model("products", "ProductPolicy")
    for row in shipped.catalogue():
        product, _ = Product.objects.get_or_create(code=row.pop("code"))
        if not ProductVersion.objects.filter(product=product).exists():
            ProductVersion.objects.create(product=product, version=1, is_current=True,
                                          note="Spec catalogue (products.md, products.csv)", **row)
    for kind, data, note in (
        ("eligibility", shipped.eligibility(), "Spec eligibility matrix (study tables 4-8 to 4-11)"),
        ("advisor_levels", shipped.advisor_levels(), "Spec advisor grades (study table 4-12)"),
        ("parameters", shipped.parameters(), "Spec defaults and decisions (products/data/policy.json)"),
    ):
        if not ProductPolicy.objects.filter(kind=kind).exists():
            ProductPolicy.objects.create(kind=kind, version=1, status="active", data=data, note=note)


class Migration(migrations.Migration):
    dependencies = [("products", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
