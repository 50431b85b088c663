from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse

from offers.models import Offer, Telecom
from ror_portal.rendering import render_page
from structures.views import crumbs, structure_crumbs


def offer_detail(request, pk):
    offer = get_object_or_404(
        Offer.objects.visible_to(request.user)
        .with_access(request.user)
        .select_related("structure", "champ_activite", "type_offre", "mode_prise_en_charge"),
        pk=pk,
    )
    contacts = offer.contacts.select_related("fonction", "nature", "confidentialite").prefetch_related(
        Prefetch("telecoms", queryset=Telecom.objects.select_related("confidentialite"))
    )
    if not offer.can_read_restricted:
        contacts = contacts.exclude(confidentialite_id=Offer.RESTRICTED_LEVEL)
    path = list(offer.structure.get_ancestors(include_self=True))
    context = {
        "page_title": offer.nom,
        "breadcrumb": crumbs(
            ("Mes établissements", reverse("etablissement_list")), *structure_crumbs(path), (offer.nom, None)
        ),
        "offer": offer,
        "activites": list(offer.activites.all()),
        "contacts": list(contacts),
        "show_details": offer.can_read_restricted or not offer.unite_sensible,
    }
    return render_page(request, "offers/offer_detail.html", context)
