"""This app's section of the 360° customer page (see crm/panels.py): the customer's active alerts."""
from django.utils import timezone

from . import selectors, services


def customer_panel(request, customer, scope):
    return {"template": "alerts/_customer_panel.html", "alerts": selectors.customer_alerts(customer),
            "now": timezone.now(), "can_transition": services.can_transition(request.user)}
