from django.urls import path

from . import views

app_name = "dispatch"

urlpatterns = [
    path("briefs/<str:code>/barridos/", views.brief_sweeps, name="brief_sweeps"),
    path("briefs/<str:code>/barridos/nuevo/", views.sweep_create, name="sweep_create"),
    path("briefs/<str:code>/barridos/prevision/", views.sweep_forecast, name="sweep_forecast"),
    path("briefs/<str:code>/respuestas/", views.brief_inbound, name="brief_inbound"),
    path("barridos/<int:pk>/", views.sweep_detail, name="sweep_detail"),
    path("barridos/<int:pk>/avance/", views.sweep_progress, name="sweep_progress"),
    path("barridos/<int:pk>/mensajes/", views.sweep_messages, name="sweep_messages"),
    path("barridos/<int:pk>/desconocidos/", views.sweep_decide, name="sweep_decide"),
    path(
        "barridos/<int:pk>/plantillas-whatsapp/",
        views.sweep_sync_templates,
        name="sweep_sync_templates",
    ),
    path(
        "barridos/<int:pk>/<str:command>/",
        views.sweep_control,
        name="sweep_control",
    ),
    path("baja/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("o/<str:token>/", views.open_pixel, name="open_pixel"),
]
