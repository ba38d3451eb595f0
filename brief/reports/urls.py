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
]
