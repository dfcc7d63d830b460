from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from customers.imports.datasets import DATASETS
from customers.imports.engine import write_rejects
from customers.imports.uploader import SYSTEM
from customers.services import import_backoffice


class Command(BaseCommand):
    help = ("Import one back-office CSV as the system (no uploader's limits): all-or-nothing unless "
            "--skip-invalid; idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("dataset", choices=sorted(DATASETS))
        parser.add_argument("file")
        parser.add_argument("--skip-invalid", action="store_true", help="import valid rows, reject the others")
        parser.add_argument("--rejects", help="with --skip-invalid: write rejected rows and their errors here")

    def handle(self, dataset, file, skip_invalid, rejects, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        result = import_backoffice(dataset, path.read_bytes(), uploader=SYSTEM, skip_invalid=skip_invalid,
                                   filename=path.name, keep_rejects=bool(rejects))
        for e in result.errors:
            value = f" ({e['value']!r})" if e["value"] else ""
            field = e["field"] or "-"
            self.stderr.write(f"{path.name}:{e['line']}: {field}{value}: {e['message']}")
        if result.error_count > len(result.errors):
            self.stderr.write(f"{path.name}: " + _("… and %(n)d more errors") % {"n": result.error_count - len(result.errors)})
        if rejects and result.rejected_rows:
            write_rejects(result, rejects, DATASETS[dataset].column_names)
        counts = result.counts()
        summary = ", ".join(f"{k} {v}" for k, v in counts.items())
        if not result.written:
            raise CommandError(f"{dataset}: rejected, nothing written ({result.error_count} errors; {summary})")
        self.stdout.write(self.style.SUCCESS(f"{dataset}: {summary}"))
        if dataset == "snapshots":
            from customers.batch import refresh_latest_positions

            refresh_latest_positions()
            from customers.services import touch_books

            touch_books(everyone=True)  # the tiers' total assets just changed: every dashboard's totals
