"""The pages every DSFR footer links to: accessibility, legal notice, personal data, cookies.

They are public (the footer is also on the login page) and read no database row.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.urls import reverse

from ror_portal.rendering import render_page


def footer_page(request, template, title, **context):
    breadcrumb = [("Accueil", reverse("home")), (title, None)]
    return render_page(request, template, {"page_title": title, "breadcrumb": breadcrumb, **context})


@login_not_required
def accessibilite(request):
    return footer_page(request, "pages/accessibilite.html", "Déclaration d'accessibilité")


@login_not_required
def mentions_legales(request):
    return footer_page(request, "pages/mentions_legales.html", "Mentions légales", legal=settings.LEGAL_NOTICE)


@login_not_required
def donnees_personnelles(request):
    return footer_page(request, "pages/donnees_personnelles.html", "Données personnelles", legal=settings.LEGAL_NOTICE)


@login_not_required
def cookies(request):
    cookies = [
        (
            settings.SESSION_COOKIE_NAME,
            "Garde votre session ouverte après la connexion.",
            f"{settings.SESSION_COOKIE_AGE // 3600} heures au plus, supprimé à la déconnexion",
        ),
        (
            settings.CSRF_COOKIE_NAME,
            "Protège les formulaires contre les requêtes falsifiées (CSRF).",
            f"{settings.CSRF_COOKIE_AGE // 86400} jours",
        ),
        (
            "messages",
            "Transmet un message de confirmation d'une page à la suivante (« Offre publiée. »).",
            "Lu puis supprimé à la page suivante",
        ),
    ]
    return footer_page(request, "pages/cookies.html", "Gestion des cookies", cookies=cookies)
