from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse

from ror_portal.rendering import render_page


def vide(request):
    """The benchmark's reference: a tiny response through the same middleware as every page (login required)."""
    return HttpResponse("vide", content_type="text/plain; charset=utf-8")


ETALON_QUERIES = (1, 5, 10)


def etalon(request, queries):
    """A calibration page, not a target: the portal's layout and ``queries`` one-row ORM queries (the account by
    primary key), so the table shows what the ratio targets leave for a page's own work. Only the measured
    numbers: any other is a 404, not a page running a query count chosen in its URL."""
    if queries not in ETALON_QUERIES:
        raise Http404("Étalon inconnu.")
    accounts = get_user_model().objects.only("pk", "username")
    rows = [accounts.filter(pk=request.user.pk).first() for _ in range(queries)]
    return render_page(request, "bench/etalon.html", {"page_title": "Étalon", "breadcrumb": [], "rows": rows})
