"""API tokens (DRF's authtoken model, one per user) that expire a fixed time after they were issued and are
revoked on logout and on any password change.

Fixed rather than sliding: a token copied out of a script or a log is useful for one working day at most,
however busy its thief keeps it, and authenticating a call writes nothing."""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


def expires_at(token):
    return token.created + timedelta(seconds=settings.API_TOKEN_SECONDS)


def issue(user):
    """The user's token; a new one when theirs has expired. Clients of one user share the token until then."""
    with transaction.atomic():
        Token.objects.filter(user=user, created__lte=timezone.now() - timedelta(seconds=settings.API_TOKEN_SECONDS)
                             ).delete()
        token, _created = Token.objects.get_or_create(user=user)
    return token


def revoke(user):
    Token.objects.filter(user=user).delete()


def revoke_on_logout(sender, request, user, **kwargs):
    """user_logged_out: logging out of the web session ends the user's API token too."""
    if user is not None:
        revoke(user)


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if timezone.now() >= expires_at(token):
            token.delete()
            raise AuthenticationFailed(_("Token has expired."))
        return user, token


class RevokeTokenOnPasswordChange:
    """Listed in AUTH_PASSWORD_VALIDATORS for its password_changed hook, which Django calls whenever a new
    password is saved (the password page, the admin, changepassword, set_password + save): the user's API token
    is revoked. It rejects no password."""

    def validate(self, password, user=None):
        pass

    def password_changed(self, password, user=None):
        if user is not None and user.pk is not None:
            revoke(user)

    def get_help_text(self):
        return _("Changing your password also revokes your API token.")
