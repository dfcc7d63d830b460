"""The churn model page for managers (issue 19): every trained version with its backtest on held-out time — the
model beside each warning rule alone and the rules combined (AUC, precision and recall in the top 5 % and 10 %,
churned assets caught, calibration by decile, a lift chart) — and activation by a branch manager, confirmed.

Office and branch managers and compliance read it (figures of the whole branch's model, no customer's data); only
the role alerts.churn.services.ACTIVATE_RIGHT allows activates. Reads through alerts.churn.selectors, writes
through alerts.churn.services; the figures are the stored ChurnModel.metrics, shaped here for reading."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from customers.rights import writes
from customers.scope import member_scope

from .churn import selectors, services
from .models import ChurnModel, Rule
from .params import CHURN_RULES

ALGORITHM_LABELS = {"hgb": gettext_lazy("gradient-boosted trees"),
                    "logistic": gettext_lazy("regularised logistic regression")}
MEASURES = ("auc", "top5_precision", "top5_recall", "top10_precision", "top10_recall", "top5_assets_caught",
            "top10_assets_caught")
LIFT_WIDTH, LIFT_HEIGHT, LIFT_MARGIN = 320, 200, 30


def _reader(request):
    scope = member_scope(request)
    if not (scope.can_assign or scope.is_branch_wide):
        raise PermissionDenied
    return scope


def algorithm_label(code):
    return str(ALGORITHM_LABELS.get(code, gettext_lazy("another algorithm")))


def backtest_rows(metrics):
    """[{label, kind, figures{measure: value}, flagged, lift_at_5}] for the model, each rule, the rules
    combined, in that order; missing parts (a model trained without the rules) are left out."""
    rows = []

    def add(label, kind, figures):
        base = figures.get("base_rate")
        precision = figures.get("top5_precision")
        rows.append({"label": label, "kind": kind, "figures": {m: figures.get(m) for m in MEASURES},
                     "flagged": figures.get("flagged"),
                     "lift_at_5": precision / base if precision is not None and base else None})

    if metrics.get("model"):
        add(_("Churn model"), "model", metrics["model"])
    for rule in CHURN_RULES:
        if rule in (metrics.get("rules") or {}):
            add(str(Rule(rule).label), "rule", metrics["rules"][rule])
    if metrics.get("rules_combined"):
        add(_("Warning rules combined"), "combined", metrics["rules_combined"])
    return rows


def training_sample(metrics):
    """What the version was fitted on: customers × cut-offs and churners read, and — when the stayers were
    sampled (alerts.churn.model.dataset) — the share kept, the rows fitted and the weight that stands for the
    rest. None for a report without the counts."""
    rows, churned = metrics.get("training_rows"), metrics.get("training_churned")
    if not rows or churned is None:
        return None
    share = metrics.get("stayer_share")
    sampled = share is not None and 0 < share < 1
    return {"rows": rows, "churned": churned, "sampled": sampled, "share": share if sampled else None,
            "fitted": metrics.get("fitted_rows"), "weight": round(1 / share, 1) if sampled else None}


def lift_chart(metrics):
    """Inline SVG geometry of the lift chart: share of customers contacted (x, riskiest first) against the share
    of churners caught (y), for the model and the rules combined, with chance as the diagonal."""
    inner_w, inner_h = LIFT_WIDTH - 2 * LIFT_MARGIN, LIFT_HEIGHT - 2 * LIFT_MARGIN

    def point(share, captured):
        return f"{LIFT_MARGIN + share * inner_w:.1f},{LIFT_MARGIN + (1 - captured) * inner_h:.1f}"

    def line(figures):
        points = [(0.0, 0.0)] + [(p["share"], p["captured"]) for p in (figures or {}).get("lift") or []]
        return " ".join(point(s, c) for s, c in points) if len(points) > 1 else ""

    return {"width": LIFT_WIDTH, "height": LIFT_HEIGHT, "model": line(metrics.get("model")),
            "rules": line(metrics.get("rules_combined")), "chance": f"{point(0, 0)} {point(1, 1)}",
            "x0": LIFT_MARGIN, "x1": LIFT_WIDTH - LIFT_MARGIN, "y0": LIFT_HEIGHT - LIFT_MARGIN, "y1": LIFT_MARGIN,
            "ticks": [{"x": LIFT_MARGIN + s * inner_w, "y": LIFT_MARGIN + (1 - s) * inner_h, "label": f"{s:.0%}"}
                      for s in (0, 0.5, 1)]}


def _chosen(models, version):
    wanted = next((m for m in models if str(m.version) == str(version)), None) if version else None
    return wanted or next((m for m in models if m.status == ChurnModel.Status.ACTIVE), None) or \
        (models[0] if models else None)


@require_GET
def churn_models_page(request):
    _reader(request)
    models = list(selectors.churn_models())
    chosen = _chosen(models, request.GET.get("version"))
    metrics = (chosen.metrics or {}) if chosen else {}
    return render(request, "alerts/churn_models.html", {
        "models": [{"model": m, "algorithm": algorithm_label(m.algorithm),
                    "auc": ((m.metrics or {}).get("model") or {}).get("auc")} for m in models],
        "chosen": chosen, "chosen_algorithm": algorithm_label(chosen.algorithm) if chosen else "",
        "rows": backtest_rows(metrics), "calibration": (metrics.get("model") or {}).get("calibration") or [],
        "model_figures": metrics.get("model") or {}, "lift": lift_chart(metrics),
        "training": training_sample(metrics),
        "can_activate": services.can_activate(request.user),
    })


@require_POST
@writes(services.ACTIVATE_RIGHT)
def activate(request):
    """Asks for confirmation first (the headline figures of the version), then activates it."""
    _reader(request)
    version = request.POST.get("version", "")
    model = next((m for m in selectors.churn_models() if str(m.version) == version.strip()), None) \
        if version.strip().isdigit() else None
    if model is None:
        messages.error(request, _("Choose a trained churn model version."))
        return redirect("alerts:churn")
    if request.POST.get("confirm") != "yes":
        return render(request, "alerts/churn_activate.html", {
            "chosen": model, "chosen_algorithm": algorithm_label(model.algorithm),
            "model_figures": (model.metrics or {}).get("model") or {},
            "combined": (model.metrics or {}).get("rules_combined") or {},
            "active": selectors.active_churn_model()})
    try:
        services.activate(model, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Churn model v%(version)s is now active; scoring the customers with it has "
                                    "been queued.") % {"version": model.version})
    return redirect(f"{reverse('alerts:churn')}?version={model.version}")
