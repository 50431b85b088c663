from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from ror_portal.rendering import render_page

admin.site.site_header = "ROR – administration des référents"
admin.site.site_title = "ROR – administration"
admin.site.index_title = "Administration du territoire"


def page_not_found(request, exception):
    """Outside the user's scope or unknown: a French page, or its content for an HTMX navigation."""
    return render_page(request, "404.html", {"page_title": "Page non trouvée", "breadcrumb": []}, status=404)


handler404 = page_not_found

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
