from django.apps import AppConfig
from django.db.backends.signals import connection_created


class FhirApiConfig(AppConfig):
    name = "fhir_api"
    verbose_name = "API FHIR"

    def ready(self):
        from fhir_api import checks  # noqa: F401 - registers the deployment check
        from fhir_api.text import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="fhir_api_ror_fold")
