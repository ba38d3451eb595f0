from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("datos-personales/", views.search, name="search"),
    path("datos-personales/exportar/", views.export, name="export"),
    path("datos-personales/suprimir/", views.erase, name="erase"),
    path("datos-personales/solicitudes/", views.request_list, name="request_list"),
    path("datos-personales/solicitudes/<str:code>/", views.request_detail, name="request_detail"),
]
