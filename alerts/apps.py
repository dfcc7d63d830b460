from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self):
        # The contact clears the work: every contact recorded in customers (quick log, API, survey filing, an alert
        # moved to contacted) reaches alerts through this hook; customers, on which alerts builds, never imports us.
        from customers.services import on_contact

        from .services import contact_made

        on_contact(contact_made)
