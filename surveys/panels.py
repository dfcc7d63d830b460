"""This app's section of the 360° customer page (see crm/panels.py): latest answers, open follow-ups,
the survey-derived profile. Three queries (one when the customer has never been surveyed)."""
from . import selectors


def customer_panel(request, customer, scope):
    responses, open_tasks, profile = selectors.latest_answers(customer)
    return {"template": "surveys/_customer_panel.html", "responses": responses, "open_tasks": open_tasks,
            "profile": profile}
