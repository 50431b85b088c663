import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ror_portal.settings")
application = get_wsgi_application()

# The garbage collector, tuned for a worker that serves requests (measured in process on "Créer une offre", national
# data set: ≈ 0.9 ms of collections a request, ≈ 0.4 ms after). The start-up's objects (modules, settings, the app
# registry: ≈ 150,000) are frozen out of the collections, which walked them all at each full one; a young-generation
# collection runs every 20,000 allocations instead of 700: most of a request's objects are freed by reference
# counting before then, and each collection costs about the same whatever the threshold.
gc.collect()
gc.freeze()
gc.set_threshold(20_000, 20, 20)
