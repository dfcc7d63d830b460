"""Malformed input gets a clear message and changes nothing: overlong strings, wrong types, path tricks in
upload names, spreadsheet formulas in exports; sessions expire."""
import csv
import io
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from customers.models import ImportBatch, Interaction, Role, StarOverride


@pytest.fixture
def advisor(make_staff):
    return make_staff(Role.WEALTH_ADVISOR)


def test_overlong_contact_summary_is_refused_with_the_field_named(advisor, customer_of, client_for):
    customer = customer_of(advisor)
    response = client_for(advisor).post(f"/customers/{customer.customer_code}/interactions/",
                                        {"channel": "phone", "summary": "x" * 201}, follow=True)
    text = response.content.decode()
    assert "Summary" in text and "at most 200 characters" in text
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("data, message", [
    ({"star": "7", "reason": "x", "expires_on": "2027-01-01"}, "Select a valid choice"),
    ({"star": "4", "reason": "x", "expires_on": "next week"}, "Enter a valid date"),
    ({"star": "4", "reason": "r" * 201, "expires_on": "2027-01-01"}, "at most 200 characters"),
    ({"star": "4", "reason": "", "expires_on": "2027-01-01"}, "This field is required"),
])
def test_star_override_refuses_wrong_types_and_lengths(make_staff, customer_of, client_for, data, message):
    manager = make_staff(Role.OFFICE_MANAGER)
    customer = customer_of(make_staff(Role.WEALTH_ADVISOR))
    response = client_for(manager).post(f"/customers/{customer.customer_code}/override/", data, follow=True)
    assert message in response.content.decode()
    assert not StarOverride.objects.exists()


def test_upload_name_cannot_climb_out_of_its_folder(make_staff, client_for):
    upload = SimpleUploadedFile("../../../etc/cron.d/snapshots.csv", b"customer_code,date\n", content_type="text/csv")
    client_for(make_staff(Role.OPERATIONS)).post("/customers/import/", {"dataset": "snapshots", "file": upload})
    assert ImportBatch.objects.get().filename == "snapshots.csv"  # directory parts are dropped


def test_exported_cells_never_start_a_formula(advisor, customer_of, client_for):
    for i, name in enumerate(["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "plain"]):
        customer_of(advisor, name=name, customer_code=f"F{i}")
    response = client_for(advisor).get("/customers/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = sorted(row[1] for row in rows[1:])
    assert all(not n.startswith(("=", "+", "-", "@", "\t")) for n in names), names
    assert "'=HYPERLINK(\"http://x\")" in names and "plain" in names


def test_an_expired_session_sends_the_user_back_to_log_in(advisor, client_for):
    client = client_for(advisor)
    assert client.get("/customers/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/customers/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_sessions_last_one_working_day_and_end_with_the_browser(settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
