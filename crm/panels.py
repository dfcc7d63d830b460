"""Sections that other apps add to the 360° customer page.

Each app listed here has a `panels.customer_panel(request, customer, scope)` returning
`{"template": ..., **context}` or None. A panel must run a constant number of queries
(the customer page's query count is asserted) and read through its app's selectors.
"""
from importlib import import_module

PANEL_APPS = ("alerts", "products", "surveys")


def customer_panels(request, customer, scope):
    panels = []
    for app in PANEL_APPS:
        panel = import_module(f"{app}.panels").customer_panel(request, customer, scope)
        if panel:
            panels.append(panel)
    return panels
