"""This app's section of the 360° customer page (see crm/panels.py)."""


def customer_panel(request, customer, scope):
    return None
