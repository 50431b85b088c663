"""Request-wide security pieces: the client's address."""

from django.conf import settings


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
