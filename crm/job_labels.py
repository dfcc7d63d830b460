"""Job runs as people read them (issue 20): each job by name, its parameters and counts as "label: value" lists in
the reader's language, mappings (per office, per rule, per product) as short nested lists, never Python dicts."""
from django.utils.translation import gettext_lazy as _

JOB_NAMES = {
    "reclassify": _("Tiering run"),
    "tiering_preview": _("Tiering policy preview"),
    "scan_alerts": _("Alert scan"),
    "churn_train": _("Churn model training"), "churn_score": _("Churn risk scoring"),
    "import_backoffice": _("Back-office import"),
    "survey_sampling": _("Monthly callback sample"),
    "survey_escalation": _("Survey follow-up escalation"),
    "store_product_coverage": _("Product coverage (nightly)"),
    "product_matching": _("Product matching"),
    "demo": _("Demo data"),
}

KEY_LABELS = {
    "horizon_days": _("horizon (days)"), "version": _("version"), "auc": _("AUC"), "pruned": _("pruned"),
    "features": _("features (s)"), "predict": _("prediction (s)"), "write": _("writing (s)"),
    # parameters
    "date": _("date"), "month": _("month"), "policy_version": _("policy version"), "policy_id": _("policy"),
    "chunks": _("chunks"), "data_start": _("data from"), "dataset": _("dataset"), "file": _("file"),
    "seed": _("random seed"), "chunks_done": _("chunks done"),
    # counts
    "customers": _("customers"), "changes": _("changes"), "star_changes": _("star changes"),
    "notifications": _("notifications"), "previous_run": _("previous run"), "fired": _("fired"),
    "suppressed": _("suppressed"), "updated": _("updated"), "opened": _("opened"), "lapsed": _("lapsed"),
    "contact_plan_changed": _("contact plans changed"), "by_rule": _("by rule"), "items": _("customers sampled"),
    "groups": _("groups stored"), "escalated": _("escalated"), "rows": _("rows"), "inserted": _("inserted"),
    "unchanged": _("unchanged"), "rejected": _("rejected"), "errors": _("errors"), "products": _("products"),
    "against": _("compared with version"), "moved": _("customers who would move"), "star": _("value star"),
    "lifecycle_stage": _("lifecycle stage"), "quadrant": _("quadrant"), "stp_subtype": _("STP sub-type"),
    "matched": _("matched"), "eligible": _("eligible"), "recommended": _("recommended"),
}
DATASET_LABELS = {  # the back office's datasets (customers.imports.datasets.IMPORT_ORDER)
    "staff": _("Staff"), "customers": _("Customers"), "snapshots": _("Daily account snapshots"),
    "activity": _("Trading and fund-flow activity"), "ipo_quotas": _("IPO subscription quotas"),
    "applications": _("Closing and transfer applications"), "events": _("Events"),
}
HIDDEN = {"matrices"}  # shown on their own page (the tiering policy's preview), too large for a list
LIST_SHOWN = 8


def job_name(code):
    return str(JOB_NAMES.get(code, code.replace("_", " ")))


def _key(key):
    from alerts.models import Rule

    if key in KEY_LABELS:
        return str(KEY_LABELS[key])
    if key in Rule.values:
        return str(Rule(key).label)
    label = dataset_label(key)
    return label if label != key else key.replace("_", " ")


def dataset_label(code):
    return str(DATASET_LABELS.get(code, code))


def _value(key, value):
    if value is None or value == "":
        return "—"
    if key == "dataset" and isinstance(value, str):
        return dataset_label(value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (list, tuple)) and len(v) == 2 for v in value):  # id ranges
            return str(_("%(n)d ranges") % {"n": len(value)}) if len(value) > 1 else f"{value[0][0]}–{value[0][1]}"
        shown = ", ".join(str(v) for v in value[:LIST_SHOWN])
        return shown + (f" … (+{len(value) - LIST_SHOWN})" if len(value) > LIST_SHOWN else "")
    return str(value)


def pairs(data):
    """[{"label", "value", "items"}] of a run's params or counts: a mapping value becomes its items (office codes,
    rule names, …; counts largest first), one level deep; a deeper one a count of its entries."""
    out = []
    for key, value in (data or {}).items():
        if key in HIDDEN:
            continue
        if isinstance(value, dict):
            items = []
            entries = list(value.items())
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for _k, v in entries):
                entries.sort(key=lambda kv: (-kv[1], kv[0]))  # counts largest first (PostgreSQL reorders keys)
            for sub, v in entries[:LIST_SHOWN * 2]:
                shown = (str(_("%(n)d figures") % {"n": len(v)}) if isinstance(v, dict) else _value(sub, v))
                items.append({"label": _key(sub), "value": shown})
            out.append({"label": _key(key), "value": "" if items else "—", "items": items,
                        "more": max(0, len(value) - LIST_SHOWN * 2)})
        else:
            out.append({"label": _key(key), "value": _value(key, value), "items": [], "more": 0})
    return out


def describe(run):
    return {"run": run, "name": job_name(run.job), "params": pairs(run.params), "counts": pairs(run.counts)}
