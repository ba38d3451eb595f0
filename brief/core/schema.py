"""The OpenAPI document: its view and schema helpers (kept apart from ``api``: DRF's settings
import that module)."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated


class SchemaView(SpectacularAPIView):
    """``/api/schema/``: the OpenAPI document for signed-in users; YAML by default,
    ``?format=json`` (or ``Accept: application/json``) for JSON. The project turns DRF's
    ``?format=`` override off (it names file formats), so the schema reads it itself."""

    permission_classes = [IsAuthenticated]

    def perform_content_negotiation(self, request, force=False):
        if request.query_params.get("format") == "json":
            renderer = OpenApiJsonRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)


class OneObjectSchema(AutoSchema):
    """For a viewset whose router ``list`` route answers one object, not an array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False
