from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter, reverse_lazy
from django_htmx.middleware import HtmxDetails

from ror_portal import (
    audit_admin,  # noqa: F401  (the login journal, superusers only)
    views,
)
from ror_portal.converters import IdConverter
from ror_portal.forms import LoginForm
from ror_portal.rendering import render_page
from ror_portal.security import log_refusal


def page_not_found(request, exception):
    """Outside the user's scope or unknown: a French page, or its content for an HTMX navigation."""
    log_refusal(request, 404)
    return render_page(request, "404.html", {"page_title": "Page non trouvée", "breadcrumb": []}, status=404)


def permission_denied(request, exception):
    """A French 403 page; an offer the user may read but not change says so and links to it."""
    context = {"page_title": "Accès refusé", "breadcrumb": [], "offer": getattr(exception, "offer", None)}
    return render_page(request, "403.html", context, status=403)


def bad_request(request, exception):
    """A request the portal cannot read (e.g. a NUL character, see ``RefuseNulMiddleware``): a French page.

    It may be refused before the HTMX middleware ran: the page still tells a fragment request from a full one.
    """
    if not hasattr(request, "htmx"):
        request.htmx = HtmxDetails(request)
    return render_page(request, "400.html", {"page_title": "Requête invalide", "breadcrumb": []}, status=400)


register_converter(IdConverter, "id")

handler400 = bad_request
handler404 = page_not_found
handler403 = permission_denied


def page(title):
    return {"page_title": title, "breadcrumb": []}


urlpatterns = [
    path(
        "connexion/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, extra_context=page("Connexion")),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "mot-de-passe/",
        auth_views.PasswordChangeView.as_view(
            template_name="registration/password_change.html",
            extra_context={
                "page_title": "Modifier mon mot de passe",
                "breadcrumb": [("Accueil", reverse_lazy("home")), ("Modifier mon mot de passe", None)],
            },
        ),
        name="password_change",
    ),
    path(
        "mot-de-passe/modifie/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_changed.html", extra_context=page("Mot de passe modifié")
        ),
        name="password_change_done",
    ),
    path(
        "mot-de-passe/oublie/",
        auth_views.PasswordResetView.as_view(
            template_name="registration/password_forgotten.html",
            email_template_name="registration/password_reset_mail.txt",
            subject_template_name="registration/password_reset_mail_subject.txt",
            extra_context=page("Mot de passe oublié"),
        ),
        name="password_reset",
    ),
    path(
        "mot-de-passe/oublie/envoye/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/password_reset_sent.html", extra_context=page("Vérifiez votre messagerie")
        ),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_new.html",
            extra_context=page("Choisir un nouveau mot de passe"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_finished.html", extra_context=page("Mot de passe enregistré")
        ),
        name="password_reset_complete",
    ),
    path("accessibilite/", views.accessibilite, name="accessibilite"),
    path("mentions-legales/", views.mentions_legales, name="mentions_legales"),
    path("donnees-personnelles/", views.donnees_personnelles, name="donnees_personnelles"),
    path("cookies/", views.cookies, name="cookies"),
    path("admin/", admin.site.urls),
    path("", include("offers.urls")),
    path("", include("fhir_api.urls")),  # /fhir/ and /o/token/ (client systems; no session)
]
