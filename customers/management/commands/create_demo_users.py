from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from customers.models import Role, Staff

# One login per role; office roles and advisors come from the CS (长沙) office when it has them.
DEMO_LOGINS = [
    ("wealth_advisor", Role.WEALTH_ADVISOR),
    ("investment_advisor", Role.INVESTMENT_ADVISOR),
    ("institutional_advisor", Role.INSTITUTIONAL_ADVISOR),
    ("operations", Role.OPERATIONS),
    ("office_manager", Role.OFFICE_MANAGER),
    ("branch_manager", Role.BRANCH_MANAGER),
    ("compliance", Role.COMPLIANCE),
]


class Command(BaseCommand):
    help = "Create one demo login per role (linked to a generated staff member) and print them."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo-pass-2026")

    @transaction.atomic
    def handle(self, password, **options):
        User = get_user_model()
        rows = []
        for username, role in DEMO_LOGINS:
            staff = (
                Staff.objects.filter(role=role, office__code="CS").order_by("staff_code").first()
                or Staff.objects.filter(role=role).order_by("staff_code").first()
            )
            if staff is None:
                raise CommandError(f"no staff with role {role}: run generate_branch first")
            user, _created = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = False
            user.email = f"{username}@branch.example"  # the morning digest and pushes arrive here
            user.save()
            Staff.objects.filter(user=user).exclude(pk=staff.pk).update(user=None)
            staff.user = user
            staff.username = username
            staff.save(update_fields=["user", "username"])
            rows.append((username, password, role.value, staff.staff_code, staff.office.code))
        admin, _created = User.objects.get_or_create(username="admin", defaults={"is_superuser": True, "is_staff": True})
        admin.is_superuser = admin.is_staff = True
        admin.set_password(password)
        admin.email = "admin@branch.example"
        admin.save()
        rows.append(("admin", password, "superuser (Django admin)", "-", "-"))
        self.stdout.write(f"{'username':<22} {'password':<16} {'role':<26} {'staff':<8} office")
        for username, pw, role, code, office in rows:
            self.stdout.write(f"{username:<22} {pw:<16} {str(role):<26} {code:<8} {office}")
