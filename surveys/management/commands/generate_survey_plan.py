"""Draft the month's sampling plans now (what the monthly Celery task does), e.g. for the demo."""
from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from surveys import services


class Command(BaseCommand):
    help = "Generate the draft survey sampling plans of a month (default: this month)."

    def add_arguments(self, parser):
        parser.add_argument("--month", type=date.fromisoformat, default=None, help="any day of the month (ISO)")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **options):
        written = services.generate_plans(month=options["month"] or timezone.localdate(), seed=options["seed"])
        self.stdout.write(" ".join(f"{office}={n}" for office, n in written.items()))
