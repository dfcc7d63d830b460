from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer

BENCHMARKS = {
    "import": "crm.benchmarks.imports",
    "reclassify": "crm.benchmarks.reclassify",
    "scan_alerts": "alerts.benchmark",  # run(stdout), like the others
    "products": "products.benchmark",
    "web": "crm.benchmarks.web",
    "generate": "crm.benchmarks.generate",  # peak memory of generate_branch (replaces the branch)
    "digest": "crm.benchmarks.digest",  # every advisor's morning digest built and handed to the channel
    "churn_score": "alerts.churn.benchmark",  # a night's scoring vs the reclassification and its data floor
}


class Command(BaseCommand):
    help = "Run a benchmark of quality.md and print each figure and its ratio to the floor measured in the same run."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(BENCHMARKS))
        parser.add_argument("--customers", type=int, default=None,
                            help="(re)generate a branch of this size first if the database holds another size")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, name, customers, seed, **options):
        import importlib

        if customers and Customer.objects.count() != customers:
            self.stdout.write(f"generating a branch of {customers:,} customers…")
            call_command("generate_branch", customers=customers, seed=seed, replace=True, stdout=self.stdout)
        try:
            importlib.import_module(BENCHMARKS[name]).run(self.stdout)
        except SystemExit as exc:
            raise CommandError(str(exc)) from None
