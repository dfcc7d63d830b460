import math
import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from customers.batch import refresh_latest_positions
from customers.generator import Generator, write_branch
from customers.generator import previous_night as run_previous_night
from customers.models import Customer, Office


class Command(BaseCommand):
    help = ("Build the synthetic branch (offices, staff, customers, snapshots, activity, six months of alerts, "
            "contacts and survey attempts, …), its churn from a hidden dissatisfaction process "
            "(docs/generator.md); deterministic per seed; written in blocks of 10,000 customers.")

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--months", type=int, default=13)
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                            help="the data date (default: yesterday)")
        parser.add_argument("--replace", action="store_true", help="replace existing branch data")
        parser.add_argument("--history-days", type=int, default=182,
                            help="days of alert, contact and survey history before the first night (default 182); "
                                 "a longer history also lengthens --days and --months to cover it, e.g. 460 for "
                                 "the churn model's backtest (cut-offs nine months back with 180-day windows)")
        parser.add_argument("--no-history", action="store_true",
                            help="no alert, contact and survey history before the first night")
        parser.add_argument("--previous-night", action="store_true",
                            help="also run the tiering for the day before the data date, so the first night has a "
                                 "night before it (moves into decline, star changes); make demo does")

    def handle(self, customers, seed, months, days, as_of, replace, no_history, previous_night, history_days,
               **options):
        if customers < 1 or months < 1 or days < 1 or history_days < 1:
            raise CommandError("--customers, --months, --days and --history-days must be positive")
        days = max(days, history_days)
        months = max(months, math.ceil(history_days / 30.4) + 1)
        if Customer.objects.exists() and not replace:
            raise CommandError("the database already holds customers; pass --replace to regenerate")
        as_of = as_of or date.today() - timedelta(days=1)
        started = time.perf_counter()
        office_ids = dict(Office.objects.values_list("code", "id"))
        generator = Generator(customers, seed, as_of, months=months, days=days, office_ids=office_ids,
                              history=not no_history, history_days=history_days)
        counts = write_branch(generator)
        refresh_latest_positions()
        written = time.perf_counter()
        self.stdout.write(", ".join(f"{k} {v:,}" for k, v in counts.items()))
        if previous_night:
            run = run_previous_night(as_of)
            if run.status != run.Status.SUCCEEDED:
                raise CommandError(f"the previous night's tiering run failed: {run.error}")
            self.stdout.write(f"previous night {as_of - timedelta(days=1)} reclassified: "
                              + ", ".join(f"{k} {v}" for k, v in run.counts.items()))
        done = time.perf_counter()
        self.stdout.write(
            self.style.SUCCESS(
                f"branch as of {as_of}: generated and written in {written - started:.1f}s, previous night "
                f"{done - written:.1f}s (total {done - started:.1f}s)"
            )
        )
