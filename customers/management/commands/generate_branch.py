import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from customers.batch import refresh_latest_positions
from customers.generator import Generator, write_branch
from customers.models import Customer, Office


class Command(BaseCommand):
    help = "Build the synthetic branch (offices, staff, customers, snapshots, activity, …); deterministic per seed."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--months", type=int, default=13)
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                            help="the data date (default: yesterday)")
        parser.add_argument("--replace", action="store_true", help="replace existing branch data")

    def handle(self, customers, seed, months, days, as_of, replace, **options):
        if customers < 1 or months < 1 or days < 1:
            raise CommandError("--customers, --months and --days must be positive")
        if Customer.objects.exists() and not replace:
            raise CommandError("the database already holds customers; pass --replace to regenerate")
        as_of = as_of or date.today() - timedelta(days=1)
        started = time.perf_counter()
        office_ids = dict(Office.objects.values_list("code", "id"))
        branch = Generator(customers, seed, as_of, months=months, days=days, office_ids=office_ids).build()
        built = time.perf_counter()
        counts = write_branch(branch)
        refresh_latest_positions()
        done = time.perf_counter()
        self.stdout.write(", ".join(f"{k} {v:,}" for k, v in counts.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"branch as of {as_of}: generated in {built - started:.1f}s, written in {done - built:.1f}s "
                f"(total {done - started:.1f}s)"
            )
        )
