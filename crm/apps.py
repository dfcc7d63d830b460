from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Branch CRM")

    def ready(self):
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import post_migrate

        from .auth.cache import create_shared_table
        from .auth.tokens import revoke_on_logout

        post_migrate.connect(create_shared_table, sender=self)
        user_logged_out.connect(revoke_on_logout, dispatch_uid="crm.auth.revoke_on_logout")
