from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

admin.site.site_header = "ROR – administration des référents"
admin.site.site_title = "ROR – administration"
admin.site.index_title = "Administration du territoire"

urlpatterns = [
    path(
        "connexion/",
        auth_views.LoginView.as_view(extra_context={"page_title": "Connexion", "breadcrumb": []}),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("structures.urls")),
    path("", include("offers.urls")),
]
