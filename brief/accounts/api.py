"""Token authentication endpoint (DESIGN §6)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from . import lockout, tokens


@extend_schema(summary="Obtener un token de API con usuario y contraseña")
class TokenView(ObtainAuthToken):
    """``POST {"username", "password"}`` → ``{"token", "expires_at"}``, a new token each time
    (the previous one is revoked); bad credentials → 400; a username locked out after
    repeated failures → 429 ``locked_out`` (README "API")."""

    def post(self, request, *args, **kwargs):
        try:
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            # Axes flags the DRF request it was given, which the middleware never sees.
            if getattr(request, "axes_locked_out", False):
                return lockout.locked_out(request._request)
            raise
        token = tokens.issue(serializer.validated_data["user"])
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
