from axes.apps import AppConfig as AxesConfig


class LoginJournalConfig(AxesConfig):
    """django-axes under a French name in the admin index."""

    verbose_name = "Journal des connexions"
