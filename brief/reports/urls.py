from django.urls import path

from . import views

app_name = "reports"

urlpatterns: list = [
    # --- monthly reports, QC sample ---
    path("informes/mensual/", views.monthly_report, name="monthly"),
    path("informes/recomendaciones/", views.recommendation_list, name="recommendation_list"),
    path(
        "informes/recomendaciones/<int:pk>/",
        views.recommendation_update,
        name="recommendation_update",
    ),
    path("informes/muestreo/", views.qc_list, name="qc_list"),
    path("informes/muestreo/<str:month>/", views.qc_detail, name="qc_detail"),
    path(
        "informes/muestreo/<str:month>/items/<int:item>/",
        views.qc_item_review,
        name="qc_item_review",
    ),
    # --- daily execution report ---
    path("briefs/<str:code>/reportes-diarios/", views.daily_list, name="daily_list"),
    path(
        "briefs/<str:code>/reportes-diarios/<str:day>.xlsx",
        views.daily_download,
        name="daily_download",
    ),
    # --- dashboards ---
    path("informes/tablero/", views.dashboard, name="dashboard"),
    # --- fortnightly SLA report ---
    path("informes/ans/", views.sla_report, name="sla_report"),
    path(
        "informes/ans/relojes/<int:pk>/motivo/", views.sla_breach_reason, name="sla_breach_reason"
    ),
    # --- campaign report ---
    path("briefs/<str:code>/informe/", views.campaign_report, name="campaign"),
    path(
        "briefs/<str:code>/informe/descargar.<str:fmt>",
        views.campaign_download,
        name="campaign_download",
    ),
    path(
        "briefs/<str:code>/informe/registro/<str:kind>.<str:fmt>",
        views.register_download,
        name="register",
    ),
    path(
        "briefs/<str:code>/informe/entregado/<int:version>.<str:fmt>",
        views.delivered_download,
        name="delivered",
    ),
    path("briefs/<str:code>/informe/conclusiones/", views.conclusions, name="conclusions"),
]
