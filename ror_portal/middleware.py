"""Request checks that hold for every page, the admin included."""

from django.core.exceptions import BadRequest

NUL = "\x00"


def carries_nul(request):
    """Whether a NUL character is in the path, a query or form parameter (name or value), a cookie or a header.

    PostgreSQL refuses NUL in text ("cannot contain NUL (0x00) bytes"): such a value must never reach a query.
    """
    fields = [
        *request.GET.lists(),
        *request.POST.lists(),
        *((name, [value]) for name, value in request.COOKIES.items()),
    ]
    headers = [value for name, value in request.META.items() if name.startswith("HTTP_") and isinstance(value, str)]
    return (
        NUL in request.path
        or any(NUL in name or any(NUL in value for value in values) for name, values in fields)
        or any(NUL in value for value in headers)
    )


class RefuseNulMiddleware:
    """Answer 400 (the French "Requête invalide" page) to a request that carries a NUL character.

    It comes before the session middleware: a NUL in the session cookie would otherwise reach the sessions table.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if carries_nul(request):
            raise BadRequest("NUL character in the request")
        return self.get_response(request)
