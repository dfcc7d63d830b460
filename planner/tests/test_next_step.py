"""The quick contact log's "next step": the form keeps it apart from the contact's fields, and the contact and its
task are made by one post (customers.services.log_interaction hands it to the planner's next-step hook)."""
from datetime import date, timedelta

from django.utils import timezone

from customers.forms import InteractionForm
from customers.models import Interaction
from planner.models import Task

from .conftest import at


def test_the_form_keeps_the_next_step_apart_from_the_contacts_fields():
    form = InteractionForm({"channel": "phone", "summary": "聊了", "next_kind": "meeting",
                            "next_due": "2026-12-07T15:00", "next_note": "带合同"})
    assert form.is_valid(), form.errors
    assert set(form.cleaned_data) == {"channel", "summary", "note"}
    assert form.next_step == {"kind": "meeting", "due_at": at(date(2026, 12, 7), 15), "note": "带合同"}
    plain = InteractionForm({"channel": "phone", "summary": "聊了"})
    assert plain.is_valid() and plain.next_step is None


def test_a_next_step_needs_a_time():
    form = InteractionForm({"channel": "phone", "summary": "聊了", "next_kind": "call_back"})
    assert not form.is_valid() and "next_due" in form.errors


def test_logging_a_contact_with_a_next_step_plans_the_task(people, client_for):
    client = client_for(people["a"])
    client.post("/customers/A0000001/interactions/", {"channel": "phone", "summary": "聊了",
                                                     "next_kind": "call_back", "next_due": "2026-12-07T09:30"})
    task = Task.objects.get()
    assert (task.customer, task.owner, task.source, task.due_at) == (
        people["mine"], people["a"], "interaction", at(date(2026, 12, 7), 9, 30))
    assert Interaction.objects.get().pk == task.source_id


def test_a_next_step_too_far_away_is_a_form_error_and_no_contact_is_half_logged(people, client_for):
    client_for(people["a"]).post("/customers/A0000001/interactions/", {
        "channel": "phone", "summary": "聊了", "next_kind": "call_back", "next_due": "9999-12-31T09:30"})
    assert not Task.objects.exists() and not Interaction.objects.exists()
    form = InteractionForm({"channel": "phone", "summary": "x", "next_kind": "call_back",
                            "next_due": (timezone.localtime() + timedelta(days=4000)).strftime("%Y-%m-%dT%H:%M")})
    assert not form.is_valid() and "next_due" in form.errors
