from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.shortcuts import get_object_or_404
from django.urls import reverse

from nomenclatures import cache
from offers import completeness
from offers.models import Offer
from offers.moves import MovePolicy
from ror_portal.pagination import KeysetPaginator, bounded_count
from ror_portal.rendering import render_page
from structures.contents import contents_page
from structures.forms import EtablissementFilterForm
from structures.models import EntiteJuridique, Structure

PAGE_SIZE = 25


def crumbs(*items):
    """Breadcrumb items (label, url); the last one is the current page."""
    return [("Accueil", reverse("home")), *items]


def structure_crumbs(path, *tail):
    """Accueil › Mes établissements › Mes établissements géographiques (EG) › EG › … for a node's path."""
    return crumbs(
        ("Mes établissements", reverse("mes_etablissements")),
        ("Mes établissements géographiques (EG)", reverse("etablissement_list")),
        *[(node.name, reverse("structure_detail", args=[node.pk])) for node in path],
        *tail,
    )


def home(request):
    return render_page(request, "structures/home.html", {"page_title": "Accueil", "breadcrumb": crumbs()})


def mes_etablissements(request):
    etablissements = Structure.objects.etablissements_visible_to(request.user)
    context = {
        "page_title": "Mes établissements",
        "breadcrumb": crumbs(("Mes établissements", None)),
        "eg_count": bounded_count(etablissements),
        "ej_count": bounded_count(EntiteJuridique.objects.visible_to(request.user)),
    }
    return render_page(request, "structures/mes_etablissements.html", context)


def offers_per_tree():
    """Number of offers in an EG's whole tree, for an EG row (``tree_id`` of the outer query).

    A correlated subquery in the select list: computed for the rows of the page only, as keyset pagination
    skips no row (with an OFFSET, it would be computed for every row skipped too).
    """
    per_tree = (
        Offer.objects.published()
        .filter(structure__tree_id=OuterRef("tree_id"))
        .order_by()
        .values("structure__tree_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(per_tree), Value(0))


def offers_per_tree_where(condition):
    """Number of offers of an EG row's tree meeting ``condition`` (computed for the page's rows only)."""
    per_tree = (
        Offer.objects.published()
        .filter(condition, structure__tree_id=OuterRef("tree_id"))
        .order_by()
        .values("structure__tree_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(per_tree), Value(0))


def etablissement_list(request):
    etablissements = Structure.objects.etablissements_visible_to(request.user)
    form = EtablissementFilterForm(request.GET or None, etablissements, request.user)
    if form.is_bound and not form.is_valid():
        rows = etablissements.none()
    else:
        rows = form.filter(etablissements) if form.is_bound else etablissements
    rows = rows.only(*Structure.OUTLINE_FIELDS, "ville").annotate(
        offer_count=offers_per_tree(),
        open_count=offers_per_tree_where(completeness.open_condition()),
        finalised_count=offers_per_tree_where(completeness.finalised_condition()),
    )
    # Served by the index structures_eg_lower_name_idx on (lower(name), id), read forwards or backwards.
    page = KeysetPaginator(rows, Lower("name"), PAGE_SIZE, descending=form.sort == "-nom").page(request.GET)
    cache.attach(page.object_list, "categorie")
    for eg in page.object_list:
        eg.finalised_share = completeness.share_text(eg.finalised_count, eg.open_count)
    context = {
        "page_title": "Mes établissements géographiques (EG)",
        "breadcrumb": crumbs(
            ("Mes établissements", reverse("mes_etablissements")), ("Mes établissements géographiques (EG)", None)
        ),
        "form": form,
        "page": page,
        "filtered": form.is_bound and any(form.data.get(name) for name in ("q", "departement", "categorie", "ej")),
        "sort": form.sort,
    }
    return render_page(request, "structures/etablissement_list.html", context)


def entite_juridique_list(request):
    etablissements = Structure.objects.etablissements_visible_to(request.user)
    in_scope_per_ej = (
        etablissements.filter(entite_juridique=OuterRef("pk"))
        .order_by()
        .values("entite_juridique")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = EntiteJuridique.objects.visible_to(request.user).annotate(eg_count=Subquery(in_scope_per_ej))
    page = KeysetPaginator(rows, "finess_ej", PAGE_SIZE).page(request.GET)
    context = {
        "page_title": "Mes entités juridiques (EJ)",
        "breadcrumb": crumbs(
            ("Mes établissements", reverse("mes_etablissements")), ("Mes entités juridiques (EJ)", None)
        ),
        "page": page,
    }
    return render_page(request, "structures/entite_juridique_list.html", context)


def structure_detail(request, pk):
    node = get_object_or_404(Structure.objects.visible_to(request.user).select_related("entite_juridique"), pk=pk)
    ancestors = node.outline_path(include_self=False)
    cache.attach([node, *ancestors[:1]], "categorie")
    etablissement = node if node.is_etablissement else ancestors[0]
    # Who manages the EG also sees its offers never published (creation drafts), and may create one here.
    policy = MovePolicy(Offer(structure=node), request.user)
    policy.remember([etablissement], {node.tree_id} if policy.manages(node.tree_id) else set())
    rows = node.offers.only("pk", "nom", "closed_on", "structure_id", "published", "completeness")
    rows = rows if policy.manages(node.tree_id) else rows.filter(published=True)
    contents = contents_page(node.children.only(*Structure.OUTLINE_FIELDS), rows, request.GET)
    # The EG page: how many of its open offers are in each completeness status (one query).
    statuses = (
        completeness.counts(Offer.objects.published().filter(structure__tree_id=node.tree_id))
        if node.is_etablissement
        else None
    )
    creation_refusal = policy.creation_refusal(node, ancestors) if policy.manages(node.tree_id) else None
    context = {
        "page_title": node.name,
        "breadcrumb": structure_crumbs(ancestors, (node.name, None)),
        "node": node,
        "etablissement": etablissement,
        "can_create_offer": policy.manages(node.tree_id) and creation_refusal is None,
        "page": contents,
        "children": contents.children,
        "offers": contents.offers,
        "statuses": statuses,
        # Closing a level closes everything below it.
        "closed_above": any(item.is_closed for item in [*ancestors, node]),
    }
    return render_page(request, "structures/structure_detail.html", context)
