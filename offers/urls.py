from django.urls import path

from offers import views

urlpatterns = [
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
