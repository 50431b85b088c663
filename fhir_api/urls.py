from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path
from oauth2_provider.views import TokenView

from fhir_api import views

IDENT = r"(?P<ident>[A-Za-z0-9\-.]{1,64})"

urlpatterns = [
    path("o/token/", login_not_required(TokenView.as_view()), name="oauth2_token"),
    path("fhir/metadata", views.metadata, name="fhir_metadata"),
    path("fhir/HealthcareService", views.healthcare_service_search, name="fhir_healthcareservice_search"),
    re_path(rf"^fhir/HealthcareService/{IDENT}$", views.healthcare_service_read, name="fhir_healthcareservice_read"),
    path("fhir/Organization", views.organization_search, name="fhir_organization_search"),
    re_path(rf"^fhir/Organization/{IDENT}$", views.organization_read, name="fhir_organization_read"),
]
