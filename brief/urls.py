"""URL map: UI pages, the JSON API under /api/v1/, provider callbacks under /hooks/."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from brief.accounts import views as account_views
from brief.accounts.api import MeViewSet, TokenView
from brief.calls import api as calls_api
from brief.campaigns.api import BriefChangesViewSet, BriefViewSet, NotificationViewSet
from brief.contacts import api as contacts_api
from brief.content import api as content_api
from brief.core import views as core_views
from brief.core.api import Router
from brief.core.schema import SchemaView
from brief.dispatch import api as dispatch_api
from brief.dispatch.hooks import provider_callback
from brief.evidence import api as evidence_api
from brief.privacy.api import DataSubjectViewSet
from brief.reports import api as reports_api

BRIEF = r"briefs/(?P<code>[^/]+)"

# The admin signs in through Brief's own login: lockout and two-step sign-in apply there too.
admin.site.login = account_views.admin_login  # type: ignore[method-assign,assignment]

# Every API endpoint is a viewset on this router; URL names (DESIGN §6, reversed by templates
# and tests) are kept by each viewset's ``route_names``. The routes under a brief come first,
# so the briefs viewset's detail routes never shadow them.
router = Router(trailing_slash=True)
router.register(f"{BRIEF}/templates", content_api.BriefTemplatesViewSet, basename="templates")
router.register(f"{BRIEF}/creatives", content_api.BriefCreativesViewSet, basename="creatives")
router.register(f"{BRIEF}/sweeps", dispatch_api.BriefSweepsViewSet, basename="sweeps")
router.register(f"{BRIEF}/inbound", dispatch_api.BriefInboundViewSet, basename="inbound")
router.register(f"{BRIEF}/changes", BriefChangesViewSet, basename="changes")
router.register(
    f"{BRIEF}/typification", calls_api.BriefTypificationViewSet, basename="typification"
)
router.register(f"{BRIEF}/advisors", calls_api.BriefAdvisorsViewSet, basename="advisors")
router.register(
    f"{BRIEF}/contact-center", calls_api.BriefContactCenterViewSet, basename="contact_center"
)
# --- reports ---
router.register(
    f"{BRIEF}/daily-reports", reports_api.BriefDailyReportsViewSet, basename="daily_reports"
)
# --- evidence: certificates and the expediente ---
router.register(f"{BRIEF}/expediente", evidence_api.BriefExpedienteViewSet, basename="expediente")
router.register("certificates", evidence_api.CertificateViewSet, basename="certificate")
# --- end evidence ---
# --- campaign report ---
router.register(f"{BRIEF}/report", reports_api.BriefReportViewSet, basename="report")
router.register("me", MeViewSet, basename="me")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("briefs", BriefViewSet, basename="brief")
router.register("bases", contacts_api.ContactBaseViewSet, basename="base")
router.register("suppressions", contacts_api.SuppressionViewSet, basename="suppression")
router.register("lookup", calls_api.HistoryViewSet, basename="lookup")
router.register("content", content_api.ContentViewSet, basename="content")
router.register("templates", content_api.TemplateViewSet, basename="template")
router.register(
    "interaction-imports", calls_api.InteractionImportViewSet, basename="interaction_import"
)
router.register("crm-layouts", calls_api.CrmLayoutViewSet, basename="crm_layout")
router.register(
    "billing-statements", calls_api.BillingStatementViewSet, basename="billing_statement"
)
router.register("interactions", calls_api.InteractionViewSet, basename="interaction")
router.register("conversations", calls_api.ConversationViewSet, basename="conversation")
router.register("cases", calls_api.CaseViewSet, basename="case")
router.register("sweeps", dispatch_api.SweepViewSet, basename="sweep")
# --- monthly reports, QC sample ---
router.register("recommendations", reports_api.RecommendationViewSet, basename="recommendation")
router.register("reports/monthly", reports_api.MonthlyReportViewSet, basename="monthly_report")
router.register("data-subjects", DataSubjectViewSet, basename="data_subject")
router.register(
    "provider-accounts", dispatch_api.ProviderAccountViewSet, basename="provider_account"
)

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="auth_token"),
    *router.urls,
]

urlpatterns = [
    path("health/", core_views.health, name="health"),
    path("admin/", admin.site.urls),
    path("hooks/<slug:code>/", provider_callback, name="provider_callback"),
    path("cuenta/", include("brief.accounts.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    # Signed-in users only; Swagger UI served from drf-spectacular-sidecar (no CDN), its
    # start-up script and page CSS separate files (no inline script or style under the CSP).
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path(
        "api/docs/",
        login_required(
            SpectacularSwaggerSplitView.as_view(
                url_name="schema", template_name="core/api_docs.html"
            )
        ),
        name="api_docs",
    ),
    path("", include("brief.campaigns.urls")),
    path("", include("brief.contacts.urls")),
    path("", include("brief.content.urls")),
    path("", include("brief.dispatch.urls")),
    path("", include("brief.calls.urls")),
    path("", include("brief.reports.urls")),
    path("", include("brief.evidence.urls")),
    path("", include("brief.privacy.urls")),
    path("", include("brief.core.urls")),
]

handler400 = "brief.core.errors.bad_request"
handler403 = "brief.core.errors.permission_denied"
handler404 = "brief.core.errors.page_not_found"
handler500 = "brief.core.errors.server_error"
