from datetime import date

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from outreach import digest


class Command(BaseCommand):
    help = "Build and send every advisor's morning digest for a day (default today); a second run sends nothing."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")

    def handle(self, date=None, **options):
        counts = digest.send_digests(date)
        self.stdout.write(_("%(advisors)d advisors, %(messages)d digests, %(created)d new messages queued")
                          % counts)
