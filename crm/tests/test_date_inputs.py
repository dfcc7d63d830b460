"""Date fields in both languages: `<input type="date">` takes only ISO values, and Django's Chinese formats write
2026/12/04 into it (the filing form's date stayed blank in Chinese). crm/formats/zh_Hans puts ISO first, for
every form of the app at once; a date typed with slashes is still read in Chinese."""
from datetime import date

import pytest
from django.utils import translation

from alerts.forms import SnoozeForm
from customers.forms import ApplicationForm, StarOverrideForm
from products.forms import OverrideForm
from surveys.forms import GeneratePlanForm

DAY = date(2026, 12, 4)


@pytest.fixture(params=["zh-hans", "en"])
def language(request):
    with translation.override(request.param):
        yield request.param


@pytest.mark.parametrize("form_class, name", [
    (GeneratePlanForm, "month"), (StarOverrideForm, "expires_on"), (ApplicationForm, "filed_on"),
    (OverrideForm, "expires_on"),
])
def test_a_date_field_is_written_into_its_input_as_iso(language, form_class, name):
    form = form_class(initial={name: DAY})
    html = str(form[name])
    assert 'type="date"' in html
    assert 'value="2026-12-04"' in html, html  # Chinese wrote value="2026/12/04": a blank picker
    assert "2026/12/04" not in html


@pytest.mark.django_db
def test_the_filing_form_shows_todays_date_in_chinese(language):
    from customers.tests.factories import StaffFactory
    from surveys.forms import FilingForm
    from surveys.selectors import active_version

    form = FilingForm(version=active_version("S2020"), staff=[StaffFactory()], initial={"date": DAY})
    assert 'value="2026-12-04"' in str(form["date"])


@pytest.mark.parametrize("typed", ["2026-12-04", "2026/12/04"])
def test_typed_dates_are_read_in_both_languages(language, typed):
    """The picker posts ISO; a date typed the Chinese way (with slashes) is still read, in either language's
    form. (English reads 2026/12/04 only through Chinese: its own formats are month-first.)"""
    form = SnoozeForm(data={"until": typed})
    if typed == "2026/12/04" and language == "en":
        assert not form.is_valid()  # English has no year/month/day slash format; not changed here
        return
    assert form.is_valid(), form.errors
    assert form.cleaned_data["until"] == DAY

