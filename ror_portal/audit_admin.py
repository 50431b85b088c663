"""The login journal in the admin (django-axes' models), for superusers only.

- Connexions (AccessLog): every successful login, with its logout time;
- Échecs de connexion (AccessFailureLog): every failed login, flagged when it caused or met a lockout;
- Tentatives de connexion (AccessAttempt): the current failure counters; deleting one lifts its lockout.
Each row says who (username), when, from which address and with which user agent. Référents do not see it.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin


def is_active_superuser(user):
    return user.is_active and user.is_staff and user.is_superuser


class SuperuserReadOnly:
    def has_module_permission(self, request):
        return is_active_superuser(request.user)

    def has_view_permission(self, request, obj=None):
        return is_active_superuser(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class LoginJournalAdmin(SuperuserReadOnly, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class LoginFailureJournalAdmin(SuperuserReadOnly, AccessFailureLogAdmin):
    pass


@admin.register(AccessAttempt)
class LoginAttemptAdmin(SuperuserReadOnly, AccessAttemptAdmin):
    def has_delete_permission(self, request, obj=None):
        return is_active_superuser(request.user)
