import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from crm.benchmarks import simulate

HEADER = (f"{'night':10s} {'advisors':>8s} {'open med':>8s} {'alerts':>7s} {'p90':>7s} {'max':>6s} {'load max':>8s} "
          f"{'>5×cap':>6s} {'list max':>8s} {'>cap':>4s} {'cards':>8s} {'room':>6s} {'handled':>7s}")


class Command(BaseCommand):
    help = ("Replay nights of the generated branch (tiering run, alert scan) while every advisor works today's "
            "list; print open items per advisor against 5 × the capacity and the churn caught by the list.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--start", type=date.fromisoformat, default=None,
                            help="the first night (default: 90 days before the last data date)")
        parser.add_argument("--handle", choices=("capacity", "none"), default="capacity",
                            help="capacity: each advisor works today's list; none: nobody does")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, days, start, handle, json, **options):
        if days < 1:
            raise CommandError("--days must be positive")
        as_json = json
        if not as_json:
            self.stdout.write(HEADER)
        try:
            result = simulate.simulate(days=days, start=start, handle_lists=handle == "capacity",
                                       report=None if as_json else self._row)
        except simulate.SimulationError as exc:
            raise CommandError(str(exc)) from None
        if as_json:
            self.stdout.write(_dumps(result.as_json()))
            return
        self._summary(result)

    def _row(self, n):
        self.stdout.write(f"{n.day:10s} {n.advisors:8d} {n.open_median:8.1f} {n.open_alerts_median:7.1f} {n.open_p90:7.1f} {n.open_max:6d} "
                          f"{n.load_max:8.2f} {n.over_load_limit:6d} {n.list_max:8d} {n.over_capacity:4d} "
                          f"{n.cards_total:8d} {n.room_listed:6d} {n.handled:7d}")

    def _summary(self, result):
        nights = result.nights
        worst = max(n.load_max for n in nights)
        self.stdout.write(
            f"\nload: worst open items / capacity of any advisor over the nights {worst:.2f} "
            f"(target ≤ {simulate.LOAD_LIMIT}); nights with an advisor above it: "
            f"{sum(1 for n in nights if n.over_load_limit)} of {len(nights)} (after the first scan: "
            f"{nights[0].over_load_limit} advisors; after the last night: {nights[-1].over_load_limit})")
        self.stdout.write(f"lists longer than the capacity: {sum(n.over_capacity for n in nights)}")
        if result.churned:
            self.stdout.write(
                f"churned within {simulate.CHURN_HORIZON_DAYS} days of {result.start}: {result.churned}; "
                f"on today's list before churning {result.caught_by_list} ({result.share_list:.1%}); "
                f"same-size list by total assets alone {result.caught_by_assets} ({result.share_assets:.1%})")
        else:
            self.stdout.write(f"no customer churned within {simulate.CHURN_HORIZON_DAYS} days of {result.start}")


def _dumps(value):
    return json.dumps(value, indent=2, ensure_ascii=False)
