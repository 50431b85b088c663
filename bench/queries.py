"""SQL queries per page, counted in process (Django's test client and ``CaptureQueriesContext``)."""

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from structures.models import Structure


def data_size():
    """A label of the database's size, the key of its query counts."""
    return Structure.objects.etablissements().count()


def count_queries(pages):
    """{page id: (status, queries)} for each page, each requested once after a warm-up request."""
    User = get_user_model()
    clients, results = {}, {}
    # The bare view is routed only with BENCH_VIEW; the test client's host is "testserver".
    with override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=["*"]):
        for page in pages:
            if page.role not in clients:
                clients[page.role] = Client()
                clients[page.role].force_login(User.objects.get(username=page.role))
            client = clients[page.role]
            client.get(page.path, headers=page.headers)
            with CaptureQueriesContext(connection) as context:
                response = client.get(page.path, headers=page.headers)
            results[page.id] = (response.status_code, len(context))
    return results
