"""URL map: UI pages, the JSON API under /api/v1/, provider callbacks under /hooks/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from brief.accounts.api import TokenView, me
from brief.campaigns.api import BriefViewSet
from brief.contacts.api import ContactBaseViewSet, SuppressionViewSet
from brief.contacts.views import lookup_api
from brief.content import api as content_api
from brief.core import views as core_views
from brief.dispatch import api as dispatch_api
from brief.dispatch.hooks import provider_callback

router = DefaultRouter(trailing_slash=True)
router.register("briefs", BriefViewSet, basename="brief")
router.register("bases", ContactBaseViewSet, basename="base")
router.register("suppressions", SuppressionViewSet, basename="suppression")
router.register(
    "provider-accounts", dispatch_api.ProviderAccountViewSet, basename="provider_account"
)

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="auth_token"),
    path("me/", me, name="me"),
    *content_api.urlpatterns,
    path("briefs/<str:code>/sweeps/", dispatch_api.brief_sweeps, name="brief_sweeps"),
    path("briefs/<str:code>/report/", dispatch_api.brief_report, name="brief_report"),
    path("briefs/<str:code>/inbound/", dispatch_api.brief_inbound, name="brief_inbound"),
    path("sweeps/<int:pk>/", dispatch_api.sweep_detail, name="sweep_detail"),
    path("sweeps/<int:pk>/<str:command>/", dispatch_api.sweep_control, name="sweep_control"),
    path("lookup/", lookup_api, name="lookup"),
    *router.urls,
]

urlpatterns = [
    path("health/", core_views.health, name="health"),
    path("admin/", admin.site.urls),
    path("hooks/<slug:code>/", provider_callback, name="provider_callback"),
    path("cuenta/", include("brief.accounts.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),
    path("", include("brief.campaigns.urls")),
    path("", include("brief.contacts.urls")),
    path("", include("brief.content.urls")),
    path("", include("brief.dispatch.urls")),
    path("", include("brief.core.urls")),
]

handler400 = "brief.core.errors.bad_request"
handler403 = "brief.core.errors.permission_denied"
handler404 = "brief.core.errors.page_not_found"
handler500 = "brief.core.errors.server_error"
