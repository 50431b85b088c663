"""The login journal in the admin (django-axes' models), for superusers only.

- Connexions (AccessLog): every successful login, with its logout time;
- Échecs de connexion (AccessFailureLog): every failed login, flagged when it caused or met a lockout;
- Tentatives de connexion (AccessAttempt): the current failure counters; deleting one lifts its lockout.
Each row says who (username), when, from which address and with which user agent. Référents do not see it.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList

from ror_portal.admin_lists import BoundedChangeListMixin
from ror_portal.admin_site import is_active_superuser


class DateHierarchyChangeList(ChangeList):
    """Django reads the date hierarchy's year with int() and catches ValueError only: ?…__year=10**30 raised
    OverflowError (a 500). Treat it as any other bad lookup: back to the list with the error flag."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except OverflowError as error:
            raise IncorrectLookupParameters(error) from error


class SuperuserReadOnly(BoundedChangeListMixin):
    def get_changelist(self, request, **kwargs):
        return DateHierarchyChangeList

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
