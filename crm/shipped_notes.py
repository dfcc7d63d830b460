"""The notes of the policy versions our own migrations shipped (written in English in the migrations and data files),
read through translated labels. A note a person typed when saving a version is their data and is shown as typed."""
from django.utils.translation import gettext_lazy as _

SHIPPED_NOTES = {
    # customers/migrations/0004_initial_tiering_policy.py
    "Spec defaults (tiering.md)": _("Initial version: the tiering spec's defaults"),
    # alerts/migrations/0002_initial_alert_policy.py
    "Spec defaults (alerts.md)": _("Initial version: the alert spec's defaults"),
    # customers/migrations/0002_offices_and_capacity.py
    "Study 3.3: WA ≤ 800, IA ≤ 400, institutional advisor ≤ 40 customers":
        _("Study 3.3: wealth advisor ≤ 800, investment advisor ≤ 400, institutional advisor ≤ 40 customers"),
    # products/migrations/0002_shipped_data.py
    "Spec eligibility matrix (study tables 4-8 to 4-11)":
        _("Initial version: the spec's eligibility matrix (study tables 4-8 to 4-11)"),
    "Spec advisor grades (study table 4-12)": _("Initial version: the spec's advisor grades (study table 4-12)"),
    "Spec defaults and decisions (products/data/policy.json)":
        _("Initial version: the product spec's defaults and decisions"),
    "Spec catalogue (products.md, products.csv)": _("Initial version: the spec's product catalogue"),
    # surveys/data/policy.json and surveys/loading.py
    "surveys.md defaults": _("Initial version: the survey spec's defaults"),
    "appendix / surveys.md": _("Initial version: the study's appendix questionnaires"),
    # crm/migrations/0003_kpi_policy.py
    "study 3.3.1": _("Study 3.3.1"),
}
