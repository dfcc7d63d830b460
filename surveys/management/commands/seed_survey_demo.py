"""Seed the study's 2020 S2020 callback campaign (65 respondents, table 3-1) for the demo.

Respondents are the first 65 retail customers (by id) of the office given, or of the branch.
Running it again replaces the earlier seed (idempotent)."""
import json

from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer, Role, Staff
from surveys import services
from surveys.loading import DATA


class Command(BaseCommand):
    help = "Seed the 2020 S2020 campaign (65 responses) so the S2020 report reproduces study table 3-1."

    def add_arguments(self, parser):
        parser.add_argument("--office", default="", help="office code of the respondents (default: any)")

    def handle(self, *args, **options):
        campaign = json.loads((DATA / "s2020_campaign.json").read_text(encoding="utf-8"))
        qs = Customer.objects.filter(kind=Customer.Kind.RETAIL).order_by("id")
        if options["office"]:
            qs = qs.filter(office__code=options["office"])
        customers = list(qs[: campaign["respondents"]])
        if len(customers) < campaign["respondents"]:
            raise CommandError(f"{campaign['respondents']} retail customers needed, {len(customers)} found; "
                               "run generate_branch first.")
        interviewer = Staff.objects.filter(role=Role.OPERATIONS, office_id=customers[0].office_id).order_by(
            "staff_code").first()
        try:
            responses = services.seed_campaign(customers=customers, campaign=campaign, interviewer=interviewer)
        except services.SurveyInvalid as exc:
            raise CommandError(json.dumps(exc.errors, ensure_ascii=False)) from exc
        self.stdout.write(f"seeded {len(responses)} S2020 responses dated {campaign['date']}")
