from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Comptes et habilitations"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts.sessions import start_session_clock

        user_logged_in.connect(start_session_clock, dispatch_uid="accounts.start_session_clock")
