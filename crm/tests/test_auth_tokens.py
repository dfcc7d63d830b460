"""API tokens: they expire, and end with logout, with a password change and through the revoke endpoint."""
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from customers.models import Role

LIST = "/api/customers/customers/"


@pytest.fixture(autouse=True)
def empty_shared_cache(db):
    caches["shared"].clear()


@pytest.fixture
def advisor(make_staff):
    return make_staff(Role.WEALTH_ADVISOR, username="wa1").user  # password 'pw'


def obtain(username="wa1", password="pw"):
    response = Client().post("/api/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def api(key):
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_expires_eight_hours_after_it_was_issued(advisor):
    issued = obtain()
    token = Token.objects.get(key=issued["token"])
    assert issued["expires"] == (token.created + timedelta(hours=8)).isoformat().replace("+00:00", "Z")
    assert api(token.key).get(LIST).status_code == 200
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(hours=8, seconds=1))
    expired = api(token.key).get(LIST)
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    fresh = obtain()["token"]  # asking again issues a new one
    assert fresh != token.key and api(fresh).get(LIST).status_code == 200


def test_asking_again_before_expiry_returns_the_same_token(advisor):
    Token.objects.create(user=advisor)
    Token.objects.filter(user=advisor).update(created=timezone.now() - timedelta(hours=7, minutes=59))
    first = Token.objects.get(user=advisor).key
    assert obtain()["token"] == first


def test_logging_out_of_the_web_session_revokes_the_token(advisor):
    key = obtain()["token"]
    browser = Client()
    browser.force_login(advisor)
    assert browser.post("/accounts/logout/").status_code == 302
    assert api(key).get(LIST).status_code == 401


def test_changing_the_password_revokes_the_token(advisor):
    key = obtain()["token"]
    browser = Client()
    browser.force_login(advisor)
    response = browser.post("/accounts/password/", {"old_password": "pw", "new_password1": "harbour-lantern-42",
                                                     "new_password2": "harbour-lantern-42"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/done/"
    assert api(key).get(LIST).status_code == 401
    assert obtain(password="harbour-lantern-42")["token"] != key


def test_a_password_set_anywhere_else_revokes_the_token_too(advisor):
    key = obtain()["token"]
    advisor.set_password("harbour-lantern-42")
    advisor.save()  # the admin, changepassword and create_demo_users all end like this
    assert api(key).get(LIST).status_code == 401


def test_the_revoke_endpoint_ends_the_callers_token(advisor, make_staff):
    other = make_staff(Role.WEALTH_ADVISOR, username="wa2").user
    mine, theirs = obtain()["token"], obtain("wa2")["token"]
    assert api(mine).post("/api/auth/token/revoke/").status_code == 204
    assert api(mine).get(LIST).status_code == 401
    assert api(theirs).get(LIST).status_code == 200  # only the caller's
    assert Token.objects.filter(user=other).exists()


def test_the_revoke_endpoint_needs_authentication(db):
    assert Client().post("/api/auth/token/revoke/").status_code == 401
