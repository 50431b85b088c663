from django.urls import path

from offers import views

urlpatterns = [
    path("offres/<int:pk>/", views.offer_detail, name="offer_detail"),
]
