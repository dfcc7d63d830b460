from datetime import date

from django.core.management.base import BaseCommand, CommandError

from customers.models import TieringPolicy
from customers.tiering.batch import default_run_date
from customers.tiering.policy import preview


class Command(BaseCommand):
    help = "The nightly tiering run for a date (default: the latest data date); --preview writes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, default=None)
        parser.add_argument("--policy", type=int, default=None, help="policy version (default: the active one)")
        parser.add_argument("--preview", action="store_true",
                            help="print the migration matrices of --policy against the active policy; write nothing")
        parser.add_argument("--chunk-size", type=int, default=50_000)

    def handle(self, date, policy, preview, chunk_size, **options):
        from customers.services import run_reclassification

        day = date or default_run_date()
        chosen = None
        if policy is not None:
            chosen = TieringPolicy.objects.filter(version=policy).first()
            if chosen is None:
                raise CommandError(f"no tiering policy version {policy}")
        if preview:
            if chosen is None:
                raise CommandError("--preview needs --policy VERSION (the draft to compare)")
            return self._print_preview(chosen, day)
        run = run_reclassification(day=day, policy=chosen, chunk_size=chunk_size)
        if run.status != run.Status.SUCCEEDED:
            raise CommandError(f"reclassification failed: {run.error}")
        self.stdout.write(self.style.SUCCESS(
            f"reclassified {day}: " + ", ".join(f"{k} {v}" for k, v in run.counts.items())))

    def _print_preview(self, draft, day):
        result = preview(draft, day)
        self.stdout.write(f"preview of v{result['draft']} against v{result['against']} on {day} (nothing written)")
        for field, matrix in result["matrices"].items():
            self.stdout.write(f"\n{field}: {result['moved'][field]} customers would move")
            self.stdout.write(matrix.to_string())
