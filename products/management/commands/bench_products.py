from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Products benchmark (until registered as `bench products`): set-based matching vs its data floor."

    def handle(self, **options):
        from products.benchmark import run

        try:
            run(self.stdout)
        except SystemExit as exc:
            raise CommandError(str(exc)) from None
