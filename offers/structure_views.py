"""The portal's pages of the établissements and their internal organisation: "Mes établissements", the EG and EJ
lists, a structure's page with its offers, and the organisation's forms (add, modify, close, reopen, move).

They live in the offers app because they show and change offers with the structures (the offers' counts and
completeness, the offers closed with a structure, the move rules): the apps' dependencies point one way,
offers → structures → nomenclatures (tests/test_dependencies.py).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from nomenclatures import cache
from offers import completeness, organisation
from offers.models import STRUCTURE_OFFERS, Offer
from offers.moves import MovePolicy
from ror_portal.compiled import CompiledQuery, Param
from ror_portal.converters import parse_id
from ror_portal.pagination import LIST_PAGE_SIZE, CompiledKeyset
from ror_portal.rendering import render_page
from structures.contents import SUB_STRUCTURES, contents_page
from structures.forms import (
    ClosingForm,
    EtablissementFilterForm,
    MoveForm,
    ReopeningForm,
    StructureAddForm,
    StructureForm,
)
from structures.models import EntiteJuridique, StaleStructure, Structure, StructureEvent, StructureRefused
from structures.organisation import OrganisationPolicy

PAGE_SIZE = LIST_PAGE_SIZE


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
    context = {
        "page_title": "Mes établissements",
        "breadcrumb": crumbs(("Mes établissements", None)),
        # The counts of the two lists (the same compiled queries).
        "eg_count": ETABLISSEMENT_PAGES.bounded_count(request.user, ()),
        "ej_count": ENTITE_JURIDIQUE_PAGES.bounded_count(request.user),
    }
    return render_page(request, "structures/mes_etablissements.html", context)


def count_offers_per_etablissement(etablissements):
    """Set ``offer_count`` and ``finalised_share`` on the EG rows of a page (one query for the page)."""
    counts = completeness.counts_per_etablissement([eg.pk for eg in etablissements])
    for eg in etablissements:
        status = counts[eg.pk]
        eg.offer_count = status.total
        eg.finalised_share = completeness.share_text(status.of(completeness.FINALISE), status.open)


# "Mes établissements géographiques (EG)", filtered (``EtablissementFilterForm.criteria``): pages served by the index
# structures_eg_name_cover_idx on (lower(name), id), read forwards or backwards.
ETABLISSEMENT_PAGES = CompiledKeyset(
    lambda user, filters: EtablissementFilterForm.filtered(
        Structure.objects.etablissements_visible_to(user), filters
    ).only(*Structure.OUTLINE_FIELDS, "ville"),
    Lower("name"),
    PAGE_SIZE,
    plan_with_values=lambda user, filters: "nom" in filters,
)


def etablissement_list(request):
    form = EtablissementFilterForm(request.GET or None, request.user)
    filters, values = form.criteria()
    page = ETABLISSEMENT_PAGES.page(request.GET, request.user, filters, descending=form.sort == "-nom", **values)
    cache.attach(page.object_list, "categorie")
    count_offers_per_etablissement(page.object_list)
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


def entites_juridiques_with_counts(user):
    """The EJ that ``user`` sees, each with its number of EG in their scope."""
    in_scope_per_ej = (
        Structure.objects.etablissements_visible_to(user)
        .filter(entite_juridique=OuterRef("pk"))
        .order_by()
        .values("entite_juridique")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return EntiteJuridique.objects.visible_to(user).annotate(eg_count=Subquery(in_scope_per_ej))


ENTITE_JURIDIQUE_PAGES = CompiledKeyset(entites_juridiques_with_counts, "finess_ej", PAGE_SIZE)


def entite_juridique_list(request):
    page = ENTITE_JURIDIQUE_PAGES.page(request.GET, request.user)
    context = {
        "page_title": "Mes entités juridiques (EJ)",
        "breadcrumb": crumbs(
            ("Mes établissements", reverse("mes_etablissements")), ("Mes entités juridiques (EJ)", None)
        ),
        "page": page,
    }
    return render_page(request, "structures/entite_juridique_list.html", context)


EVENTS_SHOWN = 50


def organisation_actions(policy, node, ancestors):
    """The buttons of a structure's page for the EG's managers: those whose rule allows them here."""
    if node.is_etablissement:
        return {"add": policy.addition_refusal(node, ancestors=ancestors) is None}
    return {
        "add": policy.addition_refusal(node, ancestors=ancestors) is None,
        "edit": True,
        "close": policy.closing_refusal(node, ancestors) is None,
        "reopen": node.closed_on is not None and policy.reopening_refusal(node, ancestors) is None,
        "move": policy.move_source_refusal(node, ancestors) is None,
    }


# The node, its ancestors and whether the user manages its EG: one query.
STRUCTURE_PATH = CompiledQuery(
    lambda user: (
        Structure.objects.visible_to(user).with_access(user).path_to(Param("pk")).select_related("entite_juridique")
    )
)
STRUCTURE_EVENTS = CompiledQuery(
    lambda: StructureEvent.objects.filter(structure=Param("node")).select_related("author", "cause__structure")[
        :EVENTS_SHOWN
    ]
)


def structure_detail(request, pk):
    path = STRUCTURE_PATH(request.user, pk=pk)
    if not path or path[-1].pk != pk:
        raise Http404("Structure inconnue ou hors de votre périmètre.")
    *ancestors, node = path
    cache.attach([node, *ancestors[:1]], "categorie")
    etablissement = node if node.is_etablissement else ancestors[0]
    # Who manages the EG also sees its offers never published (creation drafts), and may create one here.
    policy = MovePolicy(Offer(structure=node), request.user)
    policy.remember([etablissement], {node.tree_id} if node.can_manage else set())
    offers = STRUCTURE_OFFERS.of(node, not policy.manages(node.tree_id))
    contents = contents_page(SUB_STRUCTURES.of(node), offers, request.GET)
    # The EG page: how many of its open offers are in each completeness status (one query).
    statuses = completeness.etablissement_counts(node) if node.is_etablissement else None
    creation_refusal = policy.creation_refusal(node, ancestors) if policy.manages(node.tree_id) else None
    manages = policy.manages(node.tree_id)
    organisation_policy = OrganisationPolicy(request.user)
    organisation_policy.remember(node.tree_id, manages)
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
        "actions": organisation_actions(organisation_policy, node, ancestors) if manages else None,
        "events": STRUCTURE_EVENTS(node=node.pk),
    }
    return render_page(request, "structures/structure_detail.html", context)


# --- the internal organisation: add, change, close, reopen, move (rules: structures.organisation) ------------

PICKER_LIMIT = 100


def managed_structure(request, pk, internal=False):
    """(the structure, an OrganisationPolicy that knows the user manages its EG) if the user manages the EG
    (responsables of the EG or its EJ, référents of its département); a 404 for anyone else, régulateurs included
    (they read the structure's page only), and for an EG when ``internal`` (its identity and closing are FINESS's,
    it never moves)."""
    node = Structure.objects.managed_by(request.user).only(*Structure.OUTLINE_FIELDS, "updated_at").filter(pk=pk)
    node = node.first()
    if node is None or (internal and node.is_etablissement):
        raise Http404("Structure inconnue, hors de votre périmètre de gestion, ou établissement (FINESS).")
    policy = OrganisationPolicy(request.user)
    policy.remember(node.tree_id, True)
    return node, policy


def organisation_page(request, template, node, title, context, partials=None):
    """A page of the internal organisation under the structure's breadcrumb."""
    ancestors = context.pop("ancestors", None) or node.outline_path(include_self=False)
    context = {
        "page_title": f"{title} – {node.name}",
        "breadcrumb": structure_crumbs(
            ancestors, (node.name, reverse("structure_detail", args=[node.pk])), (title, None)
        ),
        "node": node,
        "title": title,
    } | context
    return render_page(request, template, context, partials=partials)


def add_model_errors(form, error):
    """A model's ValidationError on the form: on the field it names when the form has it, else on the form."""
    for name, messages_ in getattr(error, "message_dict", {None: error.messages}).items():
        for message in messages_:
            form.add_error(name if name in form.fields else None, message)


def structure_add(request, pk):
    """ "Ajouter une structure interne" under ``pk``: the types its level accepts."""
    parent, policy = managed_structure(request, pk)
    ancestors = parent.outline_path(include_self=False)
    refusal = policy.addition_refusal(parent, ancestors=ancestors)
    form = StructureAddForm(request.POST or None, kinds=policy.addition_kinds(parent))
    if request.method == "POST" and not refusal and form.is_valid():
        data = form.cleaned_data
        try:
            node = Structure.add_internal(
                request.user, parent, data["kind"], data["name"], opened_on=data["opened_on"], code=data["code"]
            )
        except StructureRefused as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            add_model_errors(form, error)
        else:
            messages.success(request, f"« {node.name} » a été ajouté(e) dans « {parent.name} ».")
            return redirect("structure_detail", pk=node.pk)
    context = {"ancestors": ancestors, "form": form, "refusal": refusal, "action": "ajouter"}
    return organisation_page(
        request, "structures/structure_form.html", parent, "Ajouter une structure interne", context
    )


def structure_edit(request, pk):
    """ "Modifier" an internal structure: its name, opening date and code."""
    node, _policy = managed_structure(request, pk, internal=True)  # the change's rule: managing the EG
    # Dates as the browser's date field holds them (ISO), not as the template would print a date.
    opened_on = node.opened_on.isoformat() if node.opened_on else ""
    initial = {"name": node.name, "opened_on": opened_on, "code": node.code, "version": node.version}
    form = StructureForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            node = node.change(request.user, form.changes, base_version=form.cleaned_data["version"])
        except (StructureRefused, StaleStructure) as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            add_model_errors(form, error)
        else:
            messages.success(request, f"« {node.name} » a été enregistré(e).")
            return redirect("structure_detail", pk=node.pk)
    context = {"form": form, "refusal": None, "action": "modifier"}
    return organisation_page(request, "structures/structure_form.html", node, "Modifier", context)


def applied(request, form, change, message):
    """Run ``change()`` (a function of ``structures.organisation``): a refusal or a stale form becomes the form's
    error (None is returned, the page is shown again); a success says ``message(node, counts)`` (what went along,
    from its history row) and returns the redirect to the structure's page."""
    try:
        node = change()
    except (StructureRefused, StaleStructure) as error:
        form.add_error(None, str(error))
        return None
    messages.success(request, message(node, node.events.first().counts_text))
    return redirect("structure_detail", pk=node.pk)


def structure_close(request, pk):
    """ "Fermer la structure": a date, then a confirmation page listing what closes with it."""
    node, policy = managed_structure(request, pk, internal=True)
    ancestors = node.outline_path(include_self=False)
    refusal = policy.closing_refusal(node, ancestors)
    form = ClosingForm(
        request.POST or None, initial={"closed_on": timezone.localdate().isoformat(), "version": node.version}
    )
    preview = None
    if request.method == "POST" and not refusal and form.is_valid():
        closed_on = form.cleaned_data["closed_on"]
        date_refusal = policy.closing_date_refusal(node, closed_on)
        if date_refusal:
            form.add_error("closed_on", date_refusal)
        elif request.POST.get("action") == "confirmer":
            done = applied(
                request,
                form,
                lambda: organisation.close(request.user, node, closed_on, base_version=form.cleaned_data["version"]),
                lambda closed, counts: f"« {closed.name} » est fermée au {closed_on:%d/%m/%Y}{counts}.",
            )
            if done:
                return done
        else:
            preview = organisation.closing_preview(node, closed_on)
    context = {"ancestors": ancestors, "form": form, "refusal": refusal, "preview": preview}
    return organisation_page(request, "structures/structure_close.html", node, "Fermer la structure", context)


def structure_reopen(request, pk):
    """ "Rouvrir la structure", and when asked what its latest closing closed with it."""
    node, policy = managed_structure(request, pk, internal=True)
    ancestors = node.outline_path(include_self=False)
    refusal = policy.reopening_refusal(node, ancestors)
    preview = organisation.reopening_preview(node) if not refusal else None
    form = ReopeningForm(request.POST or None, initial={"version": node.version, "with_contents": True})
    if request.method == "POST" and not refusal and form.is_valid():
        done = applied(
            request,
            form,
            lambda: organisation.reopen(
                request.user,
                node,
                with_contents=form.cleaned_data["with_contents"],
                base_version=form.cleaned_data["version"],
            ),
            lambda reopened, counts: f"« {reopened.name} » est rouverte{counts}.",
        )
        if done:
            return done
    has_contents = preview is not None and (preview.structures_count or preview.offers_count)
    context = {"ancestors": ancestors, "form": form, "refusal": refusal, "preview": preview if has_contents else None}
    return organisation_page(request, "structures/structure_reopen.html", node, "Rouvrir la structure", context)


def structure_move(request, pk):
    """ "Déplacer la structure": a picker over the EG's tree (``noeud``: the level shown, by default the current
    parent), each entry with the reason it may not be chosen; "Déplacer ici" posts the level shown."""
    node, policy = managed_structure(request, pk, internal=True)
    in_tree = Structure.objects.filter(tree_id=node.tree_id).only(*Structure.OUTLINE_FIELDS)
    level_pk = parse_id(request.POST.get("cible") if request.method == "POST" else request.GET.get("noeud"))
    level = in_tree.filter(pk=level_pk).first() if level_pk else in_tree.get(pk=node.parent_id)
    if level is None:
        raise Http404("Structure hors de l'établissement.")
    level_path = level.outline_path()
    ancestors = node.outline_path(include_self=False)
    source_refusal = policy.move_source_refusal(node, ancestors)
    form = MoveForm(request.POST or None, initial={"cible": level.pk, "version": node.version})
    if request.method == "POST" and not source_refusal and form.is_valid():
        done = applied(
            request,
            form,
            lambda: organisation.move(request.user, node, level, base_version=form.cleaned_data["version"]),
            lambda moved, counts: f"« {moved.name} » a été déplacé(e) dans « {level.name} »{counts}.",
        )
        if done:
            return done
    children = level.outline_children(PICKER_LIMIT + 1)
    entries = []
    for child in children[:PICKER_LIMIT]:
        inside = node.lft <= child.lft <= node.rght
        refusal = None if source_refusal else policy.target_refusal(node, child, level_path)
        entries.append(
            {
                "node": child,
                "refusal": refusal,
                # A link to choose it (shown as the new place), or to look below it; not into the moved structure.
                "navigable": not inside and (refusal is None or child.rght - child.lft > 1),
                "current": child.pk == node.parent_id,
                "itself": child.pk == node.pk,
            }
        )
    context = {
        "form": form,
        "refusal": source_refusal,
        "level": level,
        "level_path": level_path,
        "level_refusal": source_refusal or policy.target_refusal(node, level, level_path[:-1]),
        "level_is_current": level.pk == node.parent_id,
        "entries": entries,
        "truncated": len(children) > PICKER_LIMIT,
        "moved_count": (node.rght - node.lft - 1) // 2,
        "picker_base": reverse("structure_move", args=[node.pk]),
        "current_parent": ancestors[-1],
        "ancestors": ancestors,
    }
    return organisation_page(
        request,
        "structures/structure_move.html",
        node,
        "Déplacer la structure",
        context,
        partials={"picker-body": "picker-body"},
    )
