"""The upload page and the customer pages, through the browser-facing views."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import ImportBatch, Interaction, Role, Snapshot
from customers.tests.factories import CustomerFactory, StaffFactory
from customers.tests.test_import import SNAP_HEADER, csv_bytes, snap


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """POST a file, let the enqueued (eager) task run as a real commit would, then show the result page."""

    def post(client, data, name="snap.csv", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("customers:import"),
                {"dataset": "snapshots", "file": SimpleUploadedFile(name, data, "text/csv"), **extra},
            )
        return client.get(response.url) if response.status_code == 302 else response

    return post


def test_upload_page_shows_every_error_and_writes_nothing(db, client_for, upload):
    ops = StaffFactory(role=Role.OPERATIONS, with_user=True)
    CustomerFactory(customer_code="A1")
    response = upload(client_for(ops), csv_bytes(SNAP_HEADER, snap(), snap("GHOST"), snap(total="abc")))
    page = response.content.decode()
    assert "nothing was written" in page
    assert "GHOST" in page and "unknown customer" in page and "is not a number" in page
    assert ImportBatch.objects.get().status == "rejected"
    assert Snapshot.objects.count() == 0


def test_upload_page_imports_a_good_file(db, client_for, upload):
    ops = StaffFactory(role=Role.OPERATIONS, with_user=True)
    CustomerFactory(customer_code="A1")
    response = upload(client_for(ops), csv_bytes(SNAP_HEADER, snap()))
    assert "Imported: 1 new, 0 updated, 0 unchanged." in response.content.decode()
    assert Snapshot.objects.count() == 1


def test_upload_rejects_non_csv_and_path_tricks(db, client_for, upload):
    ops = StaffFactory(role=Role.OPERATIONS, with_user=True)
    response = upload(client_for(ops), b"x", name="../../etc/passwd")
    assert "Upload a .csv file." in response.content.decode()
    upload(client_for(ops), csv_bytes(SNAP_HEADER), name="../../evil.csv")
    assert ImportBatch.objects.get().filename == "evil.csv"


def test_advisors_cannot_upload(db, client_for):
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    assert client_for(wa).get(reverse("customers:import")).status_code == 403


def test_log_contact_from_the_customer_page(db, client_for):
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    customer = CustomerFactory(advisor=wa)
    client = client_for(wa)
    url = reverse("customers:log-interaction", args=[customer.customer_code])
    page = client.post(url, {"channel": "wechat", "summary": "市场观点沟通", "note": ""}, follow=True)
    assert page.status_code == 200 and "市场观点沟通" in page.content.decode()
    assert Interaction.objects.get().channel == "wechat"
    client.post(url, {"channel": "pigeon", "summary": ""})
    assert Interaction.objects.count() == 1


def test_export_neutralises_formulas(db, client_for):
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    CustomerFactory(advisor=wa, name="=HYPERLINK(\"http://x\")")
    text = client_for(wa).get(reverse("customers:export", args=["csv"])).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_list_searches_the_end_of_the_phone_and_filters_by_open_alerts(db, client_for):
    from django.utils import timezone

    from alerts.models import Alert

    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    red = CustomerFactory(customer_code="A1", advisor=wa, phone="13812345678")
    yellow = CustomerFactory(customer_code="A2", advisor=wa, phone="13900005678")
    quiet = CustomerFactory(customer_code="A3", advisor=wa, phone="13700001111")
    CustomerFactory(customer_code="B1", phone="13600005678")  # another advisor's: never found
    now, today = timezone.now(), timezone.localdate()
    for customer, level, status in ((red, "red", "open"), (yellow, "yellow", "acknowledged"),
                                    (quiet, "red", "resolved")):
        Alert.objects.create(customer=customer, rule="large_outflow", level=level, status=status, owner=wa,
                             opened_at=now, due_at=now, first_fired_on=today, last_fired_on=today)
    client = client_for(wa)

    def codes(**query):
        return [c["customer_code"] for c in client.get(reverse("customers:list"), query).context["page"]]

    assert codes(q="5678") == ["A1", "A2"]  # the last four digits staff read off 138****5678
    assert codes(q="567") == []  # three digits are too few to mean a phone number
    assert codes(alert="red") == ["A1"]
    assert codes(alert="any") == ["A1", "A2"]  # acknowledged is still open; resolved is not
    assert codes(alert="none") == ["A3"]


def test_advisor_dashboard_offers_the_customer_lists_filters(db, client_for):
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    html = client_for(wa).get("/workspace/advisor/").content.decode()
    assert 'action="/customers/"' in html and 'name="q"' in html
    for name in ("star", "stp_subtype", "lifecycle_stage", "quadrant", "alert"):
        assert f'name="{name}"' in html


@pytest.mark.parametrize("code", ["C00000001", "客户-1", "A&B+C", "x y%"])
def test_row_links_are_the_customer_pages_url(db, code):
    from crm.templatetags.crm_format import customer_url

    assert customer_url(code) == reverse("customers:detail", args=[code])


@pytest.mark.parametrize("name, value", [("alerts:detail", 7), ("alerts:transition", 123456), ("alerts:snooze", 1),
                                         ("customers:log-interaction", "客户-1"),
                                         ("customers:log-interaction", "A&B+C x%")])
def test_card_links_are_the_routes_urls(db, name, value):
    from crm.templatetags.crm_format import path_to

    assert path_to(value, name) == reverse(name, args=[value])


@pytest.mark.parametrize("value, zh, en", [
    (1_234_567, "123.46万", "1,234,567"), (9_999, "9,999", "9,999"), (None, "—", "—"),
    (float("nan"), "—", "—"), (float("inf"), "—", "—"),  # an empty cell of a pandas table, a ratio over 0
])
def test_amounts_in_both_languages(value, zh, en):
    from django.utils import translation

    from crm.templatetags.crm_format import cny

    with translation.override("zh-hans"):
        assert cny(value) == zh
    with translation.override("en"):
        assert cny(value) == en


def test_search_cannot_rebuild_a_masked_phone_or_id_number(db, client_for):
    """Finding 4 of the trust-boundary review: an advisor saw 138****9475 and rebuilt the whole number by
    searching 5, 6, 7… digit endings. A phone matches only by its last four digits or whole; an ID only whole."""
    wa = StaffFactory(role=Role.WEALTH_ADVISOR, with_user=True)
    CustomerFactory(customer_code="A1", advisor=wa, phone="13812349475", id_number="43010219800101123X")
    client = client_for(wa)

    def codes(q):
        page = client.get(reverse("customers:list"), {"q": q}).context["page"]
        api = client.get("/api/customers/customers/", {"q": q}).json()["results"]
        assert [c["customer_code"] for c in api] == [c["customer_code"] for c in page]
        return [c["customer_code"] for c in page]

    assert codes("9475") == ["A1"]
    assert codes("13812349475") == ["A1"]
    # advisors may not reveal an ID number, so they may not confirm one by search either (an oracle for the
    # hidden digits); operations staff, who may reveal it, find the customer by it
    assert codes("43010219800101123x") == []
    operations = client_for(StaffFactory(role=Role.OPERATIONS, office=wa.office, with_user=True))
    found = operations.get(reverse("customers:list"), {"q": "43010219800101123x"}).context["page"]
    assert [c["customer_code"] for c in found] == ["A1"]
    api = operations.get("/api/customers/customers/", {"q": "43010219800101123X"}).json()["results"]
    assert [c["customer_code"] for c in api] == ["A1"]
    # every longer ending an attacker would try next, and every part of the ID, matches nothing
    for tail in range(5, 11):
        assert codes("13812349475"[-tail:]) == [], tail
    assert codes("101123X") == [] and codes("4301021980") == []


def test_a_formula_behind_blanks_is_neutralised_too():
    from crm.exports import neutralise

    assert neutralise(' =HYPERLINK("http://x")') == '\' =HYPERLINK("http://x")'
    assert neutralise("\t=1") == "'\t=1" and neutralise("plain") == "plain" and neutralise(5) == 5
