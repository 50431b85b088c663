from axes.apps import AppConfig as AxesConfig
from django.contrib.admin.apps import AdminConfig


class LoginJournalConfig(AxesConfig):
    """django-axes under a French name in the admin index."""

    verbose_name = "Journal des connexions"


class PortalAdminConfig(AdminConfig):
    """Django's admin on the portal's site (``ror_portal.admin_site.PortalAdminSite``)."""

    default_site = "ror_portal.admin_site.PortalAdminSite"
