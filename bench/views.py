from django.http import HttpResponse


def vide(request):
    """The benchmark's reference: a tiny response through the same middleware as every page (login required)."""
    return HttpResponse("vide", content_type="text/plain; charset=utf-8")
