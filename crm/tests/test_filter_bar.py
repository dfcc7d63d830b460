"""crm_format.filter_control: the one control of every list page's filter bar (customers, alerts, applications,
surveys), for each kind of filter: choices, yes/no, dates and text."""
from django.http import QueryDict

from alerts.filters import AlertFilter
from alerts.models import Alert
from crm.templatetags.crm_format import filter_control
from customers.filters import ApplicationFilter
from customers.models import Application, Role


def control(filterset_class, model, query, name, **options):
    form = filterset_class(QueryDict(query), queryset=model.objects.none()).form
    return str(filter_control(form[name], **options))


def test_a_choice_filter_selects_the_current_value_and_its_empty_option_names_the_field(db):
    html = control(AlertFilter, Alert, "level=red", "level")
    assert '<select class="form-select" name="level" id="id_level" title="Level">' in html
    assert '<option value="">Level</option>' in html and '<option value="red" selected>Red</option>' in html
    assert html.count(" selected") == 1


def test_a_yes_no_filter_offers_its_three_choices(db):
    """Yes/no filters keep their choices on the widget: the bar once rendered them with no option at all."""
    html = control(AlertFilter, Alert, "overdue=true", "overdue")
    assert '<option value="unknown">Overdue</option>' in html
    assert '<option value="true" selected>Yes</option>' in html and '<option value="false">No</option>' in html
    assert '<option value="unknown" selected>Overdue</option>' in control(AlertFilter, Alert, "", "overdue")


def test_a_date_filter_is_a_date_picker_and_text_keeps_what_was_typed(db):
    html = control(ApplicationFilter, Application, "date_from=2026-11-02", "date_from")
    assert 'type="date" name="date_from" id="id_date_from" value="2026-11-02" title="Filed from"' in html
    html = control(ApplicationFilter, Application, 'customer=<K1"', "customer", search="customer")
    assert 'value="&lt;K1&quot;" placeholder="Customer code" data-search>' in html
    assert "data-search" not in control(ApplicationFilter, Application, "", "office", search="customer")
    assert '<input class="form-control" name="customer"' in html
    # the compact size (the survey pages)
    assert '<input class="form-control form-control-sm" name="office"' in control(
        ApplicationFilter, Application, "", "office", small=True)
    assert '<select class="form-select form-select-sm" name="status"' in control(
        ApplicationFilter, Application, "", "status", small=True)


def test_the_alert_inbox_bar_lets_an_advisor_pick_overdue(make_staff, client_for):
    html = client_for(make_staff(Role.WEALTH_ADVISOR)).get("/alerts/?overdue=true").content.decode()
    assert '<select class="form-select" name="overdue" id="id_overdue" title="Overdue">' in html
    assert '<option value="true" selected>Yes</option>' in html


def test_a_kept_select_follows_the_language_and_the_selected_value(db):
    """The select's markup is kept per language and selected choice (the fields of a FixedFilterSet live as
    long as the process): asking again gives the same markup, another language or value its own."""
    from django.utils import translation

    with translation.override("en"):
        red = control(AlertFilter, Alert, "level=red", "level")
        assert control(AlertFilter, Alert, "level=red", "level") == red
        assert '<option value="red" selected>Red</option>' in red
        yellow = control(AlertFilter, Alert, "level=yellow", "level")
        assert '<option value="yellow" selected>Yellow</option>' in yellow and " selected>Red" not in yellow
    with translation.override("zh-hans"):
        chinese = control(AlertFilter, Alert, "level=red", "level")
    assert '<option value="red" selected>红色</option>' in chinese and "Red" not in chinese
    with translation.override("en"):
        assert control(AlertFilter, Alert, "level=red", "level") == red


def test_a_value_outside_the_choices_is_rendered_but_not_kept(db):
    field = AlertFilter(QueryDict(""), queryset=Alert.objects.none()).form.fields["level"]
    kept_before = len(field.__dict__.get("_filter_select_markup", {}))
    for n in range(20):
        html = control(AlertFilter, Alert, f"level=bogus{n}", "level")
        assert " selected" not in html and '<option value="">Level</option>' in html
    assert len(field.__dict__.get("_filter_select_markup", {})) == kept_before
