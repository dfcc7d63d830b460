"""E-mail through Django's email backend: SMTP in production (EMAIL_* settings), the console backend when the
settings still name SMTP but no EMAIL_HOST is configured (the embedded default), locmem in tests."""
import smtplib
import socket

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from . import ChannelDown, Rejected

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def backend():
    name = getattr(settings, "OUTREACH_EMAIL_BACKEND", "") or settings.EMAIL_BACKEND
    if name == SMTP and settings.EMAIL_HOST in ("", "localhost") and not getattr(settings, "EMAIL_HOST_USER", ""):
        return "django.core.mail.backends.console.EmailBackend"  # nothing configured: print, never lose it
    return name


class EmailChannel:
    def __init__(self):
        self.connection = get_connection(backend())

    def send(self, message):
        if "@" not in message.address:
            raise Rejected("no e-mail address")
        mail = EmailMessage(message.subject, message.body, getattr(settings, "OUTREACH_FROM_EMAIL", None)
                            or settings.DEFAULT_FROM_EMAIL, [message.address], connection=self.connection,
                            headers={"Message-ID": f"<outreach-{message.pk}@{_domain()}>"})
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise Rejected(str(exc)[:300]) from exc
        except (smtplib.SMTPException, socket.error, OSError) as exc:
            raise ChannelDown(f"{type(exc).__name__}: {exc}"[:300]) from exc


def _domain():
    return getattr(settings, "OUTREACH_EMAIL_DOMAIN", "branch.example")
