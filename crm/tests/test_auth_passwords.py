"""Passwords: at least 12 characters, not common, not all digits; a password-change page behind the login."""
import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from customers.models import Role


@pytest.mark.parametrize("password", ["2026-2026", "short-pw-11", "password1234", "123456789012"])
def test_weak_passwords_are_rejected(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_uncommon_password_passes_and_so_does_the_readmes_demo_password():
    validate_password("harbour-lantern-42")
    validate_password("demo-pass-2026")  # 14 characters


def test_the_demo_logins_still_work(reference_data):
    from customers.tests.factories import StaffFactory, office

    for role in Role:
        StaffFactory(role=role, office=office("CS"))
    call_command("create_demo_users", stdout=open("/dev/null", "w"))
    assert Client().post("/accounts/login/", {"username": "wealth_advisor", "password": "demo-pass-2026"}
                         ).status_code == 302


def test_the_password_page_needs_a_login(db):
    response = Client().get("/accounts/password/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_password_page_changes_the_password_and_rejects_a_weak_one(make_staff, client_for):
    staff = make_staff(Role.WEALTH_ADVISOR)
    client = client_for(staff)
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "at least 12 characters" in page.content.decode()
    assert 'href="/accounts/password/"' in client.get("/ping/").content.decode()  # the navbar links it
    weak = client.post("/accounts/password/", {"old_password": "pw", "new_password1": "2026-2026",
                                               "new_password2": "2026-2026"})
    assert weak.status_code == 200 and "too short" in weak.content.decode()
    done = client.post("/accounts/password/", {"old_password": "pw", "new_password1": "harbour-lantern-42",
                                               "new_password2": "harbour-lantern-42"}, follow=True)
    assert done.status_code == 200 and "Your password was changed." in done.content.decode()
    assert client.get("/ping/").status_code == 200  # still logged in
    staff.user.refresh_from_db()
    assert staff.user.check_password("harbour-lantern-42")
