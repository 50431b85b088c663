"""Request-wide security pieces: the client's address, the Permissions-Policy header, the security log."""

import logging

from django.conf import settings

logger = logging.getLogger("ror.security")


def client_ip(request):
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address they saw.

    Each trusted proxy appends the address it received the request from to X-Forwarded-For, so the client is
    the TRUSTED_PROXY_COUNT-th entry from the right; anything further left was written by the client.
    """
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def log_refusal(request, status):
    """One line per refused or unknown URL: who asked what, from where."""
    user = request.user.get_username() if getattr(request, "user", None) and request.user.is_authenticated else "-"
    logger.warning(
        "refused status=%s user=%s path=%s ip=%s",
        status,
        user or "-",
        request.get_full_path()[:500],
        client_ip(request),
    )


class PermissionsPolicyMiddleware:
    """No page of the portal needs the camera, the microphone, the location and the like: deny them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
