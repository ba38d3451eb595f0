from django.urls import path

from . import views

app_name = "contacts"

urlpatterns = [
    path("briefs/<str:code>/bases/", views.base_list, name="base_list"),
    path("briefs/<str:code>/bases/nueva/", views.base_map, name="base_map"),
    path("briefs/<str:code>/bases/<int:pk>/", views.base_detail, name="base_detail"),
    path("briefs/<str:code>/bases/<int:pk>/avance/", views.base_progress, name="base_progress"),
    path("briefs/<str:code>/bases/<int:pk>/cancelar/", views.base_cancel, name="base_cancel"),
    path(
        "briefs/<str:code>/bases/<int:pk>/rechazados.<str:fmt>",
        views.base_rejects,
        name="base_rejects",
    ),
    path(
        "briefs/<str:code>/bases/<int:pk>/gestionada.<str:fmt>",
        views.base_managed,
        name="base_managed",
    ),
    path("briefs/<str:code>/bases/<int:pk>/segmentos/", views.segments, name="segments"),
    path(
        "briefs/<str:code>/bases/<int:pk>/segmentos/conteo/",
        views.segment_count,
        name="segment_count",
    ),
    path("exclusiones/", views.suppressions, name="suppressions"),
    path("exclusiones/nueva/", views.suppression_add, name="suppression_add"),
    path("exclusiones/rne/", views.suppression_rne, name="suppression_rne"),
]
