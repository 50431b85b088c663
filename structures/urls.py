from django.urls import path

from structures import views

urlpatterns = [
    path("", views.home, name="home"),
    path("etablissements/", views.mes_etablissements, name="mes_etablissements"),
    path("etablissements/eg/", views.etablissement_list, name="etablissement_list"),
    path("etablissements/ej/", views.entite_juridique_list, name="entite_juridique_list"),
    path("structures/<id:pk>/", views.structure_detail, name="structure_detail"),
]
