"""The learned churn risk from the command line: evaluate (backtest, nothing stored), train (a draft version),
activate N (a branch manager), score (the nightly scoring for a date)."""
import json
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from alerts.churn import model as churn_model
from alerts.churn import services
from alerts.churn.model import NotEnoughHistory

MEASURES = ("auc", "top5_precision", "top5_recall", "top5_assets_caught", "top10_precision", "top10_recall",
            "top10_assets_caught")


class Command(BaseCommand):
    help = ("Churn model: evaluate --cutoff D --horizon 90 [--json] | train | activate N --user NAME | "
            "score [--date D]")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("evaluate", "train"):
            p = sub.add_parser(name)
            p.add_argument("--cutoff", default=None, help="test cut-off YYYY-MM-DD (default: data date − horizon)")
            p.add_argument("--horizon", type=int, default=90)
            p.add_argument("--algorithm", choices=churn_model.ALGORITHMS, default=None,
                           help="default: chosen on the training cut-offs")
            p.add_argument("--json", action="store_true")
            p.add_argument("--history-days", type=int, default=churn_model.HISTORY_DAYS,
                           help="activity needed before a training cut-off (shorter: features see less)")
        sub.choices["train"].add_argument("--user", default=None, help="recorded as the trainer")
        p = sub.add_parser("activate")
        p.add_argument("version", type=int)
        p.add_argument("--user", required=True, help="a branch manager's username (audited)")
        p = sub.add_parser("score")
        p.add_argument("--date", default=None)

    def handle(self, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except NotEnoughHistory as exc:
            raise CommandError(str(exc)) from None
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None

    def _evaluate(self, cutoff, horizon, algorithm, json, history_days, **_):
        test_cutoff = _day(cutoff) or services.default_test_cutoff(horizon)
        _bundle, report = churn_model.train_and_test(test_cutoff, horizon, algorithm=algorithm,
                                                     history_days=history_days)
        self._report(report, json)

    def _train(self, cutoff, horizon, algorithm, json, user, history_days, **_):
        model = services.train_model(user=_user(user) if user else None, test_cutoff=_day(cutoff),
                                     horizon_days=horizon, algorithm=algorithm, history_days=history_days)
        self._report(model.metrics, json)
        if not json:
            self.stdout.write(f"version {model.version} stored as a draft ({model.file}, sha256 {model.checksum[:12]}…)")

    def _activate(self, version, user, **_):
        model = services.activate(version, _user(user))
        self.stdout.write(f"version {model.version} is active")

    def _score(self, date, **_):
        run = services.score_branch(_day(date))
        if run is None:
            raise CommandError("no churn model is active")
        self.stdout.write(f"scored {run.counts['customers']} customers on {run.params['date']} "
                          f"with version {run.counts['version']} (job run {run.pk}): {run.counts}")

    def _report(self, report, as_json):
        if as_json:
            self.stdout.write(json.dumps(report, indent=1, default=str))
            return
        w = self.stdout.write
        w(f"test cut-off {report['test_cutoff']}, horizon {report['horizon_days']} days; trained on "
          f"{len(report['training_cutoffs'])} cut-offs {report['training_cutoffs'][-1]} … "
          f"{report['training_cutoffs'][0]} ({report['training_rows']} rows, {report['training_churned']} churned)")
        selection = report["selection"]
        w(f"algorithm: {report['algorithm']}"
          + (f" (validation AUC on {selection['validation_cutoff']}: {selection['auc']})" if selection["auc"] else ""))
        model = report["model"]
        w(f"test population {model['n']}, churned {model['churned']} (base rate {model['base_rate']:.2%})")
        w(f"{'score':22s} " + " ".join(f"{m:>19s}" for m in MEASURES) + f" {'flagged':>8s}")
        rows = [("model", model), *report.get("rules", {}).items()]
        if "rules_combined" in report:
            rows.append(("rules combined", report["rules_combined"]))
        for name, m in rows:
            w(f"{name:22s} " + " ".join(f"{_fmt(m.get(k)):>19s}" for k in MEASURES)
              + f" {m.get('flagged', ''):>8}")
        w("calibration (model, by decile of predicted risk): predicted → observed")
        for d in model["calibration"]:
            w(f"  {d['decile']:2d}  n={d['n']:7d}  {d['predicted']:.4f} → {d['observed']:.4f}")
        w("lift (model): " + ", ".join(f"top {p['share']:.0%} catches {p['captured']:.0%} (×{p['lift']})"
                                        for p in model["lift"][:6]))
        w(f"timings (s): {report.get('timings')}")


def _fmt(value):
    return "—" if value is None else f"{value:.4f}"


def _day(value):
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"dates are YYYY-MM-DD, not {value!r}") from None


def _user(username):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user {username!r}")
    return user
