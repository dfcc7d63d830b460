from datetime import date

from django.core.management.base import BaseCommand, CommandError

from alerts import advisor_work, services


class Command(BaseCommand):
    help = "The nightly alert scan for a date (default: the latest data date): churn warnings and reminders."

    def add_arguments(self, parser):
        parser.add_argument("--date", default=None, help="YYYY-MM-DD")

    def handle(self, date=None, **options):
        day = _parse(date)
        run = services.run_scan(day=day)
        recorded = advisor_work.record_today_lists()  # as the nightly task does: the lists the measures read
        counts = run.counts
        self.stdout.write(f"scan {run.params['date']}: {counts.get('fired', 0)} firings, "
                          f"{counts.get('opened', 0)} opened, {counts.get('updated', 0)} updated, "
                          f"{counts.get('suppressed', 0)} suppressed (job run {run.pk})")
        for rule, n in sorted(counts.get("by_rule", {}).items()):
            self.stdout.write(f"  {rule:22s} {n:8d}")
        self.stdout.write(f"today's lists recorded: {recorded} cards")


def _parse(value):
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}") from None
