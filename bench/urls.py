"""The portal's URLs plus the benchmark's bare view and calibration pages; the URLconf only when
``settings.BENCH_VIEW`` is on."""

from django.urls import path

from bench import views
from ror_portal.urls import handler400, handler403, handler404  # noqa: F401  (the portal's error pages)
from ror_portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    *portal_urlpatterns,
    path("bench/vide/", views.vide, name="bench_vide"),
    path("bench/etalon/<int:queries>/", views.etalon, name="bench_etalon"),
]
