"""The OpenAPI document's view; the schema class and its helpers are in ``openapi``."""

from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

from .openapi import ErrorSerializer, OneObjectSchema, errors

__all__ = ["ErrorSerializer", "OneObjectSchema", "SchemaView", "errors"]


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
