from django.urls import path

from offers import structure_views as views

urlpatterns = [
    path("", views.home, name="home"),
    path("etablissements/", views.mes_etablissements, name="mes_etablissements"),
    path("etablissements/eg/", views.etablissement_list, name="etablissement_list"),
    path("etablissements/ej/", views.entite_juridique_list, name="entite_juridique_list"),
    path("structures/<id:pk>/", views.structure_detail, name="structure_detail"),
    path("structures/<id:pk>/ajouter-une-structure/", views.structure_add, name="structure_add"),
    path("structures/<id:pk>/modifier/", views.structure_edit, name="structure_edit"),
    path("structures/<id:pk>/fermer/", views.structure_close, name="structure_close"),
    path("structures/<id:pk>/rouvrir/", views.structure_reopen, name="structure_reopen"),
    path("structures/<id:pk>/deplacer/", views.structure_move, name="structure_move"),
]
