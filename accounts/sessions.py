"""Session lifetime: an idle timeout and a maximum age from the login, and no caching of signed-in pages.

The login time and the last request's time live in the session (epoch seconds). The last-seen time is
written at most once a minute, so a page costs no session write in the common case.
"""

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect

from ror_portal.security import client_ip

logger = logging.getLogger("ror.security")

LOGIN_AT = "ror_login_at"
LAST_SEEN = "ror_last_seen"
LAST_SEEN_RESOLUTION = 60  # seconds


def start_session_clock(sender, request, user, **kwargs):
    """``user_logged_in`` receiver: the session's clocks start at the login."""
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[LAST_SEEN] = now


def expiry_reason(session, now):
    """Why the signed-in session is over (a French sentence), or ``None`` while it is alive."""
    login_at = session.get(LOGIN_AT)
    last_seen = session.get(LAST_SEEN)
    if login_at is None or last_seen is None:
        return "Votre session a expiré. Reconnectez-vous."
    if now - login_at > settings.SESSION_MAX_AGE.total_seconds():
        return "Votre session a atteint sa durée maximale. Reconnectez-vous."
    if now - last_seen > settings.SESSION_IDLE_TIMEOUT.total_seconds():
        minutes = int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60)
        return f"Votre session a expiré après {minutes} minutes d'inactivité. Reconnectez-vous."
    return None


class SessionTimeoutMiddleware:
    """Sign out idle or too old sessions; mark every signed-in response ``Cache-Control: no-store``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            reason = expiry_reason(request.session, now)
            if reason:
                return self.expire(request, reason)
            if now - request.session[LAST_SEEN] >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN] = now
            response = self.get_response(request)
            add_never_cache_headers(response)
            return response
        return self.get_response(request)

    def expire(self, request, reason):
        logger.info("session expired user=%s ip=%s", request.user.get_username(), client_ip(request))
        logout(request)
        messages.info(request, reason)
        if request.htmx:
            # A fragment request: reload the whole page on the login form instead of swapping it in.
            return HttpResponseClientRedirect(redirect_to_login(request.htmx.current_url_abs_path or "/").url)
        return self.get_response(request)
