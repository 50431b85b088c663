from django.urls import path

from structures import views

urlpatterns = [
    path("", views.home, name="home"),
]
