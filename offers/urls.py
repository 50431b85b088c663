from django.urls import path

from offers import structure_views, views

urlpatterns = [
    # The établissements and their internal organisation (offers/structure_views.py).
    path("", structure_views.home, name="home"),
    path("etablissements/", structure_views.mes_etablissements, name="mes_etablissements"),
    path("etablissements/eg/", structure_views.etablissement_list, name="etablissement_list"),
    path("etablissements/ej/", structure_views.entite_juridique_list, name="entite_juridique_list"),
    path("structures/<id:pk>/", structure_views.structure_detail, name="structure_detail"),
    path("structures/<id:pk>/ajouter-une-structure/", structure_views.structure_add, name="structure_add"),
    path("structures/<id:pk>/modifier/", structure_views.structure_edit, name="structure_edit"),
    path("structures/<id:pk>/fermer/", structure_views.structure_close, name="structure_close"),
    path("structures/<id:pk>/rouvrir/", structure_views.structure_reopen, name="structure_reopen"),
    path("structures/<id:pk>/deplacer/", structure_views.structure_move, name="structure_move"),
    # The offers.
    path("offres/<id:pk>/", views.offer_detail, name="offer_detail"),
    path("offres/<id:pk>/modifier/", views.offer_edit, name="offer_edit"),
    path("offres/<id:pk>/modifier/<slug:slug>/", views.offer_block_edit, name="offer_block_edit"),
    path("offres/<id:pk>/rattachement/", views.offer_picker, name="offer_picker"),
    path("offres/<id:pk>/contacts/ajouter/", views.contact_edit, name="contact_add"),
    path("offres/<id:pk>/contacts/<id:contact_pk>/modifier/", views.contact_edit, name="contact_edit"),
    path("offres/<id:pk>/contacts/<id:contact_pk>/supprimer/", views.contact_delete, name="contact_delete"),
    path("offres/<id:pk>/brouillon/publier/", views.draft_publish, name="draft_publish"),
    path("offres/<id:pk>/brouillon/supprimer/", views.draft_delete, name="draft_delete"),
    path("structures/<id:pk>/creer-une-offre/", views.offer_create, name="offer_create"),
    path("offres/<id:pk>/saisie/", views.offer_creation, name="offer_creation"),
    path("offres/<id:pk>/saisie/supprimer/", views.creation_delete, name="creation_delete"),
    path("offres/<id:pk>/deplacements/<id:event_pk>/annuler/", views.move_undo, name="move_undo"),
]
