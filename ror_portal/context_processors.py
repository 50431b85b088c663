from django.conf import settings


def portal(request):
    """Site-wide values for the layout (no database access: it runs on every page)."""
    return {"SUPPORT_EMAIL": settings.SUPPORT_EMAIL}
