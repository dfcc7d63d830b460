"""Draft the month's sampling plans now (what the monthly Celery task does), e.g. for the demo; `--release`
releases them too, so the worklist has the month's sample (make demo)."""
from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from surveys import services


class Command(BaseCommand):
    help = "Generate the draft survey sampling plans of a month (default: this month); --release releases them."

    def add_arguments(self, parser):
        parser.add_argument("--month", type=date.fromisoformat, default=None, help="any day of the month (ISO)")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--release", action="store_true",
                            help="release the month's draft plans as well (operations' worklist shows them)")

    def handle(self, *args, **options):
        month = options["month"] or timezone.localdate()
        written = services.generate_plans(month=month, seed=options["seed"])
        self.stdout.write(" ".join(f"{office}={n}" for office, n in written.items()))
        if options["release"]:
            plans = services.release_month(month=month)
            self.stdout.write(f"released {len(plans)} plan(s) of {month:%Y-%m}")
