"""Run in a child process by `bench import`: validate (and, if valid, import) one file, print its counts.

The parent reads this process's peak RSS (RUSAGE_CHILDREN), so the figure is the import's own."""
import json
import os
import sys


def main(dataset, path, mode):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.local")
    django.setup()
    from pathlib import Path

    raw = Path(path).read_bytes()
    if mode == "read":  # the floor: the interpreter, Django and the file's bytes
        print(json.dumps({"bytes": len(raw)}))
        return
    from django.db import transaction

    from customers.imports.engine import import_file

    with transaction.atomic():
        result = import_file(dataset, raw)
        transaction.set_rollback(True)  # leave the data as it was
    print(json.dumps({**result.counts(), "kept": len(result.errors)}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
