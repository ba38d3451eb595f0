"""API tokens that expire and rotate (README "API").

A token is valid for ``API_TOKEN_TTL_HOURS`` after it was issued; every successful
``POST /api/v1/auth/token/`` issues a new one and revokes the previous, so a leaked token
stops working at the owner's next sign-in at the latest.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


def expires_at(token: Token) -> dt.datetime:
    return token.created + dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)


@transaction.atomic
def issue(user) -> Token:
    """A fresh token for ``user``; the previous one (if any) stops working."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF token authentication that refuses tokens past their lifetime (401 ``token_expired``)."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if timezone.now() >= expires_at(token):
            raise exceptions.AuthenticationFailed(
                gettext("El token venció; pida uno nuevo en /api/v1/auth/token/."),
                code="token_expired",
            )
        return user, token
