"""Token authentication endpoint (DESIGN §6)."""

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from brief.core.exceptions import Invalid
from brief.core.schema import OneObjectSchema, errors

from . import lockout, otp, tokens


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})
    otp = serializers.CharField(
        required=False, help_text="código de verificación en dos pasos, si la cuenta lo usa"
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


@extend_schema(
    summary="Obtener un token de API con usuario y contraseña",
    request=TokenRequestSerializer,
    responses={200: TokenSerializer, **errors(429)},
)
class TokenView(ObtainAuthToken):
    """``POST {"username", "password"[, "otp"]}`` → ``{"token", "expires_at"}``, a new token
    each time (the previous one is revoked); bad credentials → 400; a username locked out after
    repeated failures → 429 ``locked_out``; with two-step sign-in on, ``otp`` (the current code)
    is required: missing → 400 ``otp_required``, wrong → 400 ``otp_invalid`` (README "API")."""

    def post(self, request, *args, **kwargs):
        try:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            # Axes flags the DRF request it was given, which the middleware never sees.
            if getattr(request, "axes_locked_out", False):
                return lockout.locked_out(request._request)
            raise
        user = serializer.validated_data["user"]
        device = otp.device_of(user)
        if device is not None:
            code = request.data.get("otp") if hasattr(request.data, "get") else None
            if not code:
                raise Invalid(
                    gettext("Esta cuenta usa verificación en dos pasos: envíe también «otp»."),
                    code="otp_required",
                    field="otp",
                )
            otp.check(device, str(code))
        token = tokens.issue(user)
        return Response({"token": token.key, "expires_at": tokens.expires_at(token).isoformat()})


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField()
    roles = serializers.ListField(child=serializers.CharField())
    area = serializers.CharField(allow_null=True)
    provider = serializers.CharField(allow_null=True)


class MeViewSet(viewsets.ViewSet):
    """``GET /api/v1/me/``: the authenticated user's roles, area and provider."""

    route_names = {"list": "me"}
    schema = OneObjectSchema()

    @extend_schema(
        summary="El usuario autenticado: roles, área y proveedor", responses=MeSerializer
    )
    def list(self, request):
        user = request.user
        return Response(
            {
                "username": user.username,
                "name": user.display_name,
                "email": user.email,
                "roles": sorted(user.roles),
                "area": user.area.code if user.area_id else None,
                "provider": user.provider.code if user.provider_id else None,
            }
        )
