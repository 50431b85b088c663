from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render


def duration_fr(delta):
    """15 minutes, 1 heure, 1 heure 30 minutes."""
    minutes = max(1, round(delta.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} heure{'s' if hours > 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes > 1 else ''}")
    return " ".join(parts)


def lockout(request, original_response=None, credentials=None):
    """django-axes' lockout response (``AXES_LOCKOUT_CALLABLE``), for the portal and the admin login."""
    context = {
        "page_title": "Connexion bloquée",
        "breadcrumb": [],
        "duration": duration_fr(get_cool_off(request)),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "registration/lockout.html", context, status=429)
