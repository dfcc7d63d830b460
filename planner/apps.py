from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlannerConfig(AppConfig):
    name = "planner"
    verbose_name = _("Planner")

    def ready(self):
        # a contact's "next step" (customers.services.log_interaction) becomes a task, in the contact's transaction
        from customers.services import on_next_step

        from .services import task_from_interaction

        on_next_step(task_from_interaction)
