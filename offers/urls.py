from django.urls import path

from offers import views

urlpatterns = [
    path("offres/<int:pk>/", views.offer_detail, name="offer_detail"),
    path("offres/<int:pk>/modifier/", views.offer_edit, name="offer_edit"),
    path("offres/<int:pk>/rattachement/", views.offer_picker, name="offer_picker"),
    path("offres/<int:pk>/brouillon/publier/", views.draft_publish, name="draft_publish"),
    path("offres/<int:pk>/brouillon/supprimer/", views.draft_delete, name="draft_delete"),
    path("offres/<int:pk>/deplacements/<int:event_pk>/annuler/", views.move_undo, name="move_undo"),
]
