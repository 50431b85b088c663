from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Window
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from nomenclatures import cache
from offers import completeness
from offers.drafts import (
    CONTACTS,
    NEW_CONTACT,
    annotate_differences,
    block_values,
    bound_contact_forms,
    contact_entries,
    new_contact_key,
    remove_contact,
    save_block,
    save_contact,
    submitted_contact,
    validated_changes,
)
from offers.forms import (
    BLOCK_PAGES,
    MAX_VERSION,
    REOPENING,
    CharacteristicsForm,
    ClosingForm,
    CreationForm,
    GeneralForm,
    contact_forms,
)
from offers.models import (
    OFFER_EVENTS,
    Contact,
    MoveRefused,
    Offer,
    OfferDraft,
    OfferEvent,
    PartEdits,
    StaleOffer,
)
from offers.moves import CurrentAttachment, LevelToCross, MovePolicy, picker_structures
from offers.structure_views import structure_crumbs
from ror_portal.compiled import CompiledQuery, Param
from ror_portal.converters import parse_id
from ror_portal.rendering import render_page
from structures.models import Structure

PICKER_LIMIT = 100
SEARCH_LIMIT = 20
SEARCH_WINDOW = 500
# Name searches use trigram indexes on PostgreSQL, which need three characters: a shorter term would read
# every structure of a national scope.
INCOMPLETE = "La demande est incomplète : rechargez la page et recommencez."
SEARCH_MIN_LENGTH = 3
SEARCH_TOO_SHORT = f"Saisissez au moins {SEARCH_MIN_LENGTH} caractères du nom de la structure."


def parse_version(value):
    """The offer version a form sent back, or None when it is not one."""
    number = parse_id(value)
    return number if number is not None and number <= MAX_VERSION else None


def offer_crumbs(offer, path, *tail):
    return structure_crumbs(path, (offer.nom, reverse("offer_detail", args=[offer.pk]) if tail else None), *tail)


OFFER_PAGE = CompiledQuery(
    lambda user: completeness.with_criteria(
        Offer.objects.visible_to(user)
        .with_access(user)
        # Most offers have no draft: the drafts are read only when there are some (one query less).
        .annotate(has_drafts=Exists(OfferDraft.objects.filter(offer=OuterRef("pk"))))
        .select_related("structure")
        .defer(*Structure.detail_fields("structure__"))
    ).filter(pk=Param("pk"))
)


def offer_detail(request, pk):
    offer = OFFER_PAGE.first(request.user, pk=pk)
    if offer is None:
        raise Http404("Offre introuvable.")
    cache.attach([offer], "champ_activite", "type_offre", "mode_prise_en_charge", "temporalite_accueil", "closing_type")
    contacts = offer.contact_list()
    cache.attach(contacts, "fonction", "nature", "confidentialite")
    cache.attach([telecom for contact in contacts for telecom in contact.telecoms.all()], "confidentialite")
    path = offer.structure.outline_path()
    events = OFFER_EVENTS(offer=offer.pk)
    latest_move = next((event for event in events if event.kind in OfferEvent.MOVE_KINDS), None)
    undo = None
    if offer.can_manage and latest_move is not None and latest_move.kind == OfferEvent.Kind.MOVE:
        undo = {"event": latest_move, "refusal": offer.undo_refusal_reason(request.user, latest_move, latest_move)}
    unpublished = not offer.published
    if unpublished:
        offer.can_manage = False  # an offer never published is changed on its creation page only
    manages_drafts = offer.can_manage and offer.has_drafts
    drafts = list(offer.drafts.select_related("author").order_by("-updated_at")) if manages_drafts else []
    for draft in drafts:
        draft.offer = offer
    annotate_differences(drafts, offer)
    activites, publics = offer.coded_lists()
    status = completeness.completeness(offer)
    context = {
        "completeness": status,
        "to_complete": [(criterion.label, block_url(offer, criterion.block)) for criterion in status.missing],
        "page_title": offer.nom,
        "breadcrumb": offer_crumbs(offer, path),
        "offer": offer,
        "activites": activites,
        "publics": publics,
        "contacts": contacts,
        "events": events,
        "undo": undo,
        "drafts": drafts,
        "unpublished": unpublished,
    }
    return render_page(request, "offers/offer_detail.html", context)


def block_url(offer, slug):
    """The page that fills a block: the general block's edit page, a block's own page, or a new contact."""
    if slug == "contacts":
        return reverse("contact_add", args=[offer.pk])
    return reverse("offer_block_edit", args=[offer.pk, slug]) if slug else reverse("offer_edit", args=[offer.pk])


class ReadOnlyOffer(PermissionDenied):
    """The user may read the offer but not change it (a régulateur): a French 403 page, not a 404."""

    def __init__(self, offer):
        super().__init__("Vous pouvez consulter cette offre, mais pas la modifier.")
        self.offer = offer


MANAGED_OFFER = CompiledQuery(
    lambda user, published: (
        Offer.objects.managed_by(user)
        .select_related("structure", "etablissement")  # the offer's EG: the move rules' source (MovePolicy)
        .defer(*Structure.detail_fields("structure__"), *Structure.detail_fields("etablissement__"))
        .filter(pk=Param("pk"), published=published)[:1]
    )
)
OWN_DRAFT = CompiledQuery(lambda: OfferDraft.objects.filter(offer=Param("offer"), author=Param("author"))[:1])
# "Créer une offre" under a node: the node, its ancestors and whether the user manages its EG, in one query.
CREATION_PATH = CompiledQuery(
    lambda user: (
        Structure.objects.visible_to(user).with_access(user).only(*Structure.OUTLINE_FIELDS).path_to(Param("pk"))
    )
)


def own_draft_of(offer, user):
    """``user``'s draft of ``offer``, or None."""
    return OWN_DRAFT.first(offer=offer.pk, author=user.pk)


def managed_offer(request, pk, published=True):
    """The offer, if the user may change it; one they may only read is a 403, anything else a 404.

    ``published``: the pages of a published offer, or (False) those of an offer created as a draft and never
    published, which are the creation page's; the other kind is a 404 there."""
    offer = MANAGED_OFFER.first(request.user, published, pk=pk)
    if offer is None:
        readable = Offer.objects.visible_to(request.user).only("pk", "nom", "published").filter(pk=pk).first()
        if readable is None or readable.published != published:
            raise Http404("Offre inconnue, hors de votre périmètre, ou pas encore publiée.")
        raise ReadOnlyOffer(readable)
    return cache.attach([offer], "champ_activite")[0]


def pending_key(offer):
    return f"offre-{offer.pk}-saisie"


def edit_url(offer, **params):
    url = reverse("offer_edit", args=[offer.pk])
    return f"{url}?{urlencode(params)}" if params else url


def picker_url(offer, noeud, **params):
    return f"{reverse('offer_picker', args=[offer.pk])}?{urlencode({'noeud': noeud, **params})}"


def initial_values(request, offer, draft):
    """What the form starts from: the user's draft when they have one (whichever "Modifier" they used), else the
    offer; or what was typed before going to the picker page without JavaScript (kept in the session as
    typed: ids are parsed again)."""
    values = GeneralForm.raw_values(offer) | {"version": offer.version}
    values |= block_values(draft, GeneralForm) or {}
    pending = request.session.get(pending_key(offer)) if request.GET.get("reprise") else None
    if pending:
        values |= {name: pending[name] for name in ("nom", "champ_activite") if pending.get(name)}
        values["unite_sensible"] = bool(pending.get("unite_sensible"))
        for name in ("structure", "version"):
            if parse_id(pending.get(name)) is not None:
                values[name] = parse_id(pending[name])
    return values


def draft_context(offer, draft):
    """What a block's form says of the user's draft: "Vous reprenez votre brouillon du … : …" (its pending
    changes), and whether the offer was published since."""
    if draft is None:
        return {"resumed": None, "stale_draft": False}
    draft.offer = offer
    annotate_differences([draft], offer)
    when = timezone.localtime(draft.updated_at)
    changes = " ; ".join(f"{label} : « {old} » → « {new} »" for label, old, new in draft.rows)
    changes = changes or "aucune différence avec l'offre publiée"
    return {
        "resumed": f"Vous reprenez votre brouillon du {when:%d/%m/%Y à %H:%M} : {changes}.",
        "stale_draft": draft.base_version != offer.version,
    }


def rattachement_context(policy, form, offer, chosen_pk, error=None):
    """The rattachement shown in the form; ``chosen_pk`` is an id (int) or None."""
    chosen = None
    if chosen_pk is not None and chosen_pk != offer.structure_id:
        chosen = policy.picker_structure(chosen_pk)
    chosen = chosen or offer.structure
    path = chosen.outline_path()
    return {
        "chosen": chosen,
        "chosen_path": " › ".join(node.name for node in path),
        "moved": chosen.pk != offer.structure_id,
        "rattachement_error": error or (form.errors.get("structure") if form.is_bound else None),
        "picker_open_url": picker_url(offer, chosen.pk, modale=1),
    }


def offer_edit(request, pk):
    offer = managed_offer(request, pk)
    policy = MovePolicy(offer, request.user)
    # Read once: the same user may save or delete this draft in another tab meanwhile.
    own_draft = own_draft_of(offer, request.user)
    rattachement_error = None
    if request.method == "POST":
        form = GeneralForm(request.POST, offer=offer, policy=policy)
        action = request.POST.get("action")
        if action == "rattachement":
            # Without JavaScript the picker is a page of its own: keep what was typed meanwhile.
            fields = ("nom", "champ_activite", "structure", "unite_sensible", "version")
            request.session[pending_key(offer)] = {name: request.POST.get(name, "") for name in fields}
            return redirect(picker_url(offer, parse_id(request.POST.get("structure")) or offer.structure_id))
        if submit_block(request, offer, policy, own_draft, form, action):
            request.session.pop(pending_key(offer), None)
            return redirect("offer_detail", pk=offer.pk)
        chosen_pk = parse_id(request.POST.get("structure"))
    else:
        policy.remember([policy.source], {policy.source_tree})  # a page to show: the offer's EG is managed
        initial = initial_values(request, offer, own_draft)
        chosen_pk = initial["structure"]
        requested = request.GET.get("rattachement")
        if requested:
            requested_pk = parse_id(requested)
            target = policy.picker_structure(requested_pk) if requested_pk else None
            if target is None:
                raise Http404("Structure hors du périmètre du sélecteur.")
            reason = policy.refusal(target) if target.pk != offer.structure_id else None
            if reason:
                rattachement_error = [reason]
            else:
                chosen_pk = initial["structure"] = target.pk
        form = GeneralForm(initial=initial, offer=offer, policy=policy)
        if request.htmx and request.htmx.target == "rattachement-field":
            context = {"offer": offer, "form": form} | rattachement_context(
                policy, form, offer, chosen_pk, rattachement_error
            )
            response = render_page(
                request, "offers/offer_edit.html", context, partials={"rattachement-field": "rattachement-field"}
            )
            if not rattachement_error:
                response["HX-Trigger-After-Settle"] = "rattachement-choisi"
            return response
    path = offer.structure.outline_path()
    context = {
        "page_title": f"Modifier l'offre {offer.nom}",
        "breadcrumb": offer_crumbs(offer, path, ("Modifier", None)),
        "offer": offer,
        "form": form,
    }
    context |= draft_context(offer, own_draft) | rattachement_context(
        policy, form, offer, chosen_pk, rattachement_error
    )
    return render_page(request, "offers/offer_edit.html", context)


def submit_block(request, offer, policy, own_draft, form, action):
    """A block's form submitted: "Enregistrer le brouillon" saves it into the user's draft, "Publier" publishes
    the whole draft. True when done; otherwise the reasons are on ``form``."""
    if action not in ("brouillon", "publier"):
        form.add_error(None, "Choisissez « Enregistrer le brouillon » ou « Publier ».")
        return False
    if not form.is_valid():
        return False
    if action == "brouillon":
        save_block(offer, request.user, form)
        messages.success(request, "Brouillon enregistré : l'offre publiée reste inchangée.")
        return True
    return publish_with_draft(request, offer, policy, own_draft, form)


def publish_with_draft(request, offer, policy, own_draft, form):
    """ "Publier" on a block: the whole draft is published, this block as submitted and the other blocks as
    drafted, each validated again by its form. True when published; otherwise the reason is on ``form``."""
    data = (own_draft.data if own_draft else {}) | {form.block: form.draft_values()}
    published, problems = publish_draft(request, offer, policy, data, form.cleaned_data["version"])
    if published:
        messages.success(request, "Offre publiée.")
        return True
    if problems.stale:
        save_block(offer, request.user, form)
    field = "structure" if problems.move and "structure" in form.fields else None
    for message in problems.messages:
        form.add_error(field, message)
    return False


def offer_block_edit(request, pk, slug):
    """The page of one block of the offer ("Caractéristiques de l'offre"…): "Enregistrer le brouillon" or
    "Publier", starting from the user's draft when they have one."""
    form_class = BLOCK_PAGES.get(slug)
    if form_class is None:
        raise Http404("Bloc inconnu.")
    offer = managed_offer(request, pk)
    policy = MovePolicy(offer, request.user)
    own_draft = own_draft_of(offer, request.user)
    if request.method == "POST" and form_class is ClosingForm and request.POST.get("action") == "rouvrir":
        return reopen(request, offer)
    if request.method == "POST":
        form = form_class(request.POST, offer=offer, policy=policy)
        if submit_block(request, offer, policy, own_draft, form, request.POST.get("action")):
            return redirect("offer_detail", pk=offer.pk)
    else:
        initial = form_class.raw_values(offer) | (block_values(own_draft, form_class) or {})
        form = form_class(initial=initial | {"version": offer.version}, offer=offer, policy=policy)
    path = offer.structure.outline_path()
    context = {
        "page_title": f"{form_class.title} – {offer.nom}",
        "breadcrumb": offer_crumbs(offer, path, (f"Modifier : {form_class.title}", None)),
        "offer": offer,
        "form": form,
        "block_form": form_class,
    } | draft_context(offer, own_draft)
    return render_page(request, "offers/offer_block_edit.html", context)


def reopen(request, offer):
    """ "Rouvrir l'offre": its closing published empty (date, kind, expected reopening)."""
    if offer.closed_on is None:
        messages.info(request, "Cette offre n'est pas fermée.")
        return redirect("offer_detail", pk=offer.pk)
    version = parse_version(request.POST.get("version"))
    if version is None:
        messages.error(request, f"L'offre n'a pas été rouverte : {INCOMPLETE}")
        return redirect("offer_detail", pk=offer.pk)
    try:
        offer.publish(request.user, REOPENING, base_version=version)
    except (StaleOffer, MoveRefused) as error:
        messages.error(request, f"L'offre n'a pas été rouverte : {error}")
    except Offer.DoesNotExist:
        raise Http404("Offre supprimée entre-temps.") from None
    else:
        messages.success(request, "Offre rouverte.")
    return redirect("offer_detail", pk=offer.pk)


def contact_edit(request, pk, contact_pk=None):
    """ "Ajouter un contact" / "Modifier" a contact, with its télécoms (one row more than it has, for another).

    As every block: "Enregistrer le brouillon" keeps the page's submission in the user's draft (a new contact
    under a key "nouveau-<n>", resumed with ``?brouillon=<key>``), "Publier" publishes the whole draft with it
    (``Offer.publish``); the page starts from the draft when it holds this contact."""
    offer = managed_offer(request, pk)
    policy = MovePolicy(offer, request.user)
    contact = get_object_or_404(offer.contacts, pk=contact_pk) if contact_pk is not None else Contact(offer=offer)
    adding = contact.pk is None
    own_draft = own_draft_of(offer, request.user)
    entries = contact_entries(own_draft)
    requested = request.POST.get("brouillon") if request.method == "POST" else request.GET.get("brouillon")
    if not adding:
        key = str(contact.pk)
    elif isinstance(requested, str) and NEW_CONTACT.fullmatch(requested) and requested in entries:
        key = requested
    else:
        key = new_contact_key(own_draft)
    entry = entries.get(key)
    errors = []
    if request.method == "POST":
        form, formset = contact_forms(request.POST, contact, offer)
        version = parse_version(request.POST.get("version"))
        action = request.POST.get("action")
        if action not in ("brouillon", "publier") or version is None:
            errors.append(INCOMPLETE)
        elif form.is_valid() and formset.is_valid():
            if action == "brouillon":
                save_contact(offer, request.user, key, request.POST, version)
                messages.success(request, "Brouillon enregistré : l'offre publiée reste inchangée.")
                return redirect(reverse("offer_detail", args=[offer.pk]) + "#contacts")
            submitted = submitted_contact(request.POST)
            data = (own_draft.data if own_draft else {}) | {CONTACTS: entries | {key: submitted}}
            published, problems = publish_draft(request, offer, policy, data, version)
            if published:
                messages.success(request, f"Contact « {form.instance.nom} » publié.")
                return redirect(reverse("offer_detail", args=[offer.pk]) + "#contacts")
            if problems.stale:
                save_contact(offer, request.user, key, request.POST, version)
            errors += problems.messages
    elif entry is not None and isinstance(entry.get("post"), dict):
        form, formset = bound_contact_forms(entry, contact, offer)
    else:
        form, formset = contact_forms(None, contact, offer)
    path = offer.structure.outline_path()
    title = "Ajouter un contact" if adding else f"Modifier le contact {contact.nom}"
    context = {
        "page_title": f"{title} – {offer.nom}",
        "breadcrumb": offer_crumbs(offer, path, (title, None)),
        "offer": offer,
        "contact": contact,
        "adding": adding,
        "draft_key": key,
        "removed_in_draft": bool(entry and entry.get("removed")),
        "title": title,
        "form": form,
        "formset": formset,
        "errors": errors,
    } | draft_context(offer, own_draft if entry is not None else None)
    return render_page(request, "offers/contact_edit.html", context)


@dataclass
class PublishProblems:
    messages: list
    stale: bool = False  # the offer was published meanwhile: the caller keeps the submission in the draft
    move: bool = False  # the move rules refused the rattachement


def publish_draft(request, offer, policy, data, base_version):
    """Publish ``data`` (the user's draft, one block as just submitted), every block validated again by its form.
    (True, None) when published (the draft is then deleted), else (False, PublishProblems)."""
    changes, errors = validated_changes(offer, policy, data, base_version)
    if errors:
        return False, PublishProblems([f"Votre brouillon ne peut pas être publié : {error}" for error in errors])
    try:
        offer.publish(request.user, changes, base_version=base_version)
    except StaleOffer as error:
        return False, PublishProblems([f"{error} Elles sont conservées dans votre brouillon."], stale=True)
    except MoveRefused as error:
        return False, PublishProblems([str(error)], move=True)
    except Offer.DoesNotExist:
        raise Http404("Offre supprimée entre-temps.") from None
    offer.drafts.filter(author=request.user).delete()
    return True, None


def contact_delete(request, pk, contact_pk):
    """ "Supprimer" a contact: a confirmation page (GET), then its removal kept in the user's draft or published
    with the draft (POST)."""
    offer = managed_offer(request, pk)
    contact = get_object_or_404(offer.contacts, pk=contact_pk)
    if request.method == "POST":
        version = parse_version(request.POST.get("version"))
        action = request.POST.get("action", "publier")
        if version is None or action not in ("brouillon", "publier"):
            messages.error(request, f"Le contact n'a pas été supprimé : {INCOMPLETE}")
            return redirect(reverse("offer_detail", args=[offer.pk]) + "#contacts")
        if action == "brouillon":
            remove_contact(offer, request.user, contact, version)
            messages.success(request, f"Suppression du contact « {contact.nom} » enregistrée dans votre brouillon.")
            return redirect(reverse("offer_detail", args=[offer.pk]) + "#contacts")
        own_draft = own_draft_of(offer, request.user)
        removal = {str(contact.pk): {"removed": True}}
        data = (own_draft.data if own_draft else {}) | {CONTACTS: contact_entries(own_draft) | removal}
        published, problems = publish_draft(request, offer, MovePolicy(offer, request.user), data, version)
        if published:
            messages.success(request, f"Contact « {contact.nom} » supprimé.")
        else:
            messages.error(request, f"Le contact n'a pas été supprimé : {' '.join(problems.messages)}")
        return redirect(reverse("offer_detail", args=[offer.pk]) + "#contacts")
    path = offer.structure.outline_path()
    title = f"Supprimer le contact {contact.nom}"
    context = {
        "page_title": f"{title} – {offer.nom}",
        "breadcrumb": offer_crumbs(offer, path, (title, None)),
        "offer": offer,
        "contact": contact,
        "telecoms": list(contact.telecoms.all()),
    }
    return render_page(request, "offers/contact_delete.html", context)


@require_POST
def draft_publish(request, pk):
    offer = managed_offer(request, pk)
    # One read (another tab may delete it meanwhile); every block validated again by its form.
    draft = get_object_or_404(offer.drafts, author=request.user)
    changes, errors = validated_changes(offer, MovePolicy(offer, request.user), draft.data, draft.base_version)
    if errors:
        messages.error(request, f"Le brouillon n'a pas été publié : {' '.join(errors)} Reprenez-le pour le corriger.")
        return redirect("offer_detail", pk=offer.pk)
    try:
        offer.publish(request.user, changes, base_version=draft.base_version)
    except Offer.DoesNotExist:
        raise Http404("Offre supprimée entre-temps.") from None
    except StaleOffer as error:
        messages.error(request, f"{error} Votre brouillon est conservé : reprenez-le pour le mettre à jour.")
    except MoveRefused as error:
        messages.error(request, f"Le brouillon n'a pas été publié : {error}")
    else:
        draft.delete()
        # publish() refreshed the offer: its structure is the one just published.
        messages.success(request, f"Brouillon publié : l'offre est rattachée à « {offer.structure.name} ».")
    return redirect("offer_detail", pk=offer.pk)


@require_POST
def draft_delete(request, pk):
    offer = managed_offer(request, pk)
    deleted, _ = offer.drafts.filter(author=request.user).delete()
    if deleted:
        messages.success(request, "Brouillon supprimé.")
    return redirect("offer_detail", pk=offer.pk)


def move_undo(request, pk, event_pk):
    """ "Annuler le déplacement": a page that asks for confirmation (GET), then the undo itself (POST)."""
    offer = managed_offer(request, pk)
    event = get_object_or_404(offer.events.select_related("from_structure", "to_structure"), pk=event_pk)
    if request.method != "POST":
        path = offer.structure.outline_path()
        context = {
            "page_title": f"Annuler le déplacement de l'offre {offer.nom}",
            "breadcrumb": offer_crumbs(offer, path, ("Annuler le déplacement", None)),
            "offer": offer,
            "event": event,
            "refusal": offer.undo_refusal_reason(request.user, event),
        }
        return render_page(request, "offers/move_undo_confirm.html", context)
    try:
        offer.undo_move(request.user, event)
    except Offer.DoesNotExist:
        raise Http404("Offre supprimée entre-temps.") from None
    except MoveRefused as error:
        messages.error(request, f"Le déplacement n'a pas été annulé : {error}")
    else:
        messages.success(request, f"Déplacement annulé : l'offre est de nouveau rattachée à « {event.from_label} ».")
    return redirect("offer_detail", pk=offer.pk)


def offer_picker(request, pk):
    """ "Rattachement organisationnel de l'offre": browse the allowed trees, one level at a time."""
    offer = managed_offer(request, pk)
    policy = MovePolicy(offer, request.user)
    # The offer came with its EG from those the user manages (managed_offer): the rules need not read them again,
    # and the offer's own EG is known even when it is not among the first rows listed (a national scope).
    policy.remember([policy.source], {policy.source_tree})
    modal = request.GET.get("modale") == "1"
    noeud = request.GET.get("noeud")
    level_query = level_queries(request)
    entries, shown, parent, ancestors = [], None, None, []
    if noeud == "racine":
        rows = cache.attach(policy.picker_roots(PICKER_LIMIT + 1), "categorie")
        # The picker's EG are managed by construction: the offer's own (managed_offer) and managed ones.
        policy.remember(rows, {eg.tree_id for eg in rows})
        entries = [picker_entry(policy, eg, [], level_query) for eg in rows[:PICKER_LIMIT]]
        truncated = len(rows) > PICKER_LIMIT
    else:
        shown_pk = parse_id(noeud) if noeud else offer.structure_id
        if shown_pk is None:
            raise Http404("Emplacement inconnu.")
        # The offer's own structure was read with the offer, and is the picker's by construction.
        shown = offer.structure if shown_pk == offer.structure_id else policy.picker_structure(shown_pk)
        if shown is None:
            raise Http404("Structure hors du périmètre du sélecteur.")
        ancestors = shown.outline_path(include_self=False)
        parent = ancestors[-1] if ancestors else None
        # A level of a big EG may hold hundreds of units: the first ones, and the search for the others.
        children = shown.outline_children(PICKER_LIMIT + 1)
        entries = [picker_entry(policy, child, [*ancestors, shown], level_query) for child in children[:PICKER_LIMIT]]
        truncated = len(children) > PICKER_LIMIT
    query = (request.GET.get("q") or "").strip()[:100]
    search_error = SEARCH_TOO_SHORT if query and len(query) < SEARCH_MIN_LENGTH else None
    results, too_many = picker_search(policy, query) if query and not search_error else (None, False)
    refusal = policy.refusal(shown, ancestors) if shown is not None else None
    context = {
        "offer": offer,
        "modal": modal,
        "shown": shown,
        "parent": parent,
        "entries": entries,
        "truncated": truncated,
        "refusal": refusal,
        # Why "Rattacher ici" is disabled, stated neutrally when it is not a refusal: the offer's own
        # structure, or a level to go through (a sanitaire offer goes below the EG and its pôles).
        "location_note": location_note(shown, refusal, entries),
        "categorie": policy.source.categorie,
        "query": query,
        "search_error": search_error,
        "results": results,
        "too_many": too_many,
        "edit_url": edit_url(offer),
        "picker_base": reverse("offer_picker", args=[offer.pk]),
    }
    if not (request.htmx and request.htmx.target == "picker-body"):
        path = [*ancestors, shown] if shown is offer.structure else offer.structure.outline_path()
        context |= {
            "page_title": "Rattachement organisationnel de l'offre",
            "breadcrumb": offer_crumbs(
                offer, path, ("Modifier", edit_url(offer, reprise=1)), ("Rattachement organisationnel", None)
            ),
        }
    return render_page(request, "offers/offer_picker.html", context, partials={"picker-body": "picker-body"})


CURRENT_NOTE = "C'est le rattachement actuel de l'offre."
CROSSING_NOTE = "Choisissez un service ou une unité."  # only sanitaire offers have levels to go through


def location_note(shown, refusal, entries):
    """Why "Rattacher ici" is off when that is no error: the offer's own structure, or a level to go through."""
    if shown is None:
        crossing = any(isinstance(entry["refusal"], LevelToCross) for entry in entries)
        return CROSSING_NOTE if crossing else "Choisissez un établissement."
    if isinstance(refusal, CurrentAttachment):
        return CURRENT_NOTE
    if isinstance(refusal, LevelToCross):
        return CROSSING_NOTE
    return None


def level_queries(request):
    """pk -> the picker's query string for level ``pk``: the request's own with ``noeud`` set and the search left
    out, as ``{% querystring noeud=pk q=None %}`` writes it; encoded once for a list of 100 levels."""
    params = request.GET.copy()
    params.pop("q", None)
    params.setdefault("noeud", "")
    parts = [
        part
        for key, values in params.lists()
        for part in ([None] if key == "noeud" else [urlencode({key: value}) for value in values])
    ]
    return lambda pk: "?" + "&".join(part or f"noeud={pk}" for part in parts)


def picker_entry(policy, node, ancestors, level_query=None):
    refusal = policy.refusal(node, ancestors)
    has_children = node.rght - node.lft > 1
    return {
        "node": node,
        "query": level_query(node.pk) if level_query else None,
        "refusal": refusal,
        "navigable": refusal is None or has_children or node.is_etablissement,
        "current": node.pk == policy.offer.structure_id,
        # What the list says under the entry: real refusals only, not the current one nor a level to go through.
        "shown_refusal": refusal if refusal is not None and refusal.is_error else None,
    }


def _search_found(user, categorie, window_size, limit):
    window = picker_structures(user, categorie, as_set=True).filter(name__icontains=Param("q")).order_by().values("pk")
    return (
        Structure.objects.filter(pk__in=window[: window_size + 1])
        .only(*Structure.OUTLINE_FIELDS)
        .annotate(candidates=Window(Count("pk")))  # how many the window holds, in the same query
        .order_by("name", "pk")[: min(limit, window_size)]
    )


SEARCH_FOUND = CompiledQuery(_search_found, plan_with_values=lambda *key: True)
SEARCH_ANCESTORS = CompiledQuery(
    lambda: Structure.objects.ancestors_of(Param("ids")).only(*Structure.OUTLINE_FIELDS).order_by("tree_id", "lft")
)


def picker_search(policy, query):
    """Eligible structures whose name contains ``query``, with their path (two queries in all), and whether
    the search found too many to sort them all.

    A frequent term ("hospitalisation") matches tens of thousands of structures of a national scope, and no
    index yields matches of a substring in name order: the search sorts the first ``SEARCH_WINDOW`` matches
    found (a trigram index scan that stops there) and asks for a more precise term when there are more.
    """
    found = SEARCH_FOUND(policy.user, policy.source.categorie_id, SEARCH_WINDOW, SEARCH_LIMIT, q=query)
    if not found:
        return [], False
    too_many = found[0].candidates > SEARCH_WINDOW
    above = SEARCH_ANCESTORS(ids=[node.pk for node in found])
    cache.attach([*found, *above], "categorie")
    roots = {node.tree_id: node for node in [*above, *found] if node.level == 0}
    policy.remember(roots.values(), set(roots))  # picker_structures() only holds managed trees
    results = []
    for node in found:
        ancestors = [a for a in above if a.tree_id == node.tree_id and a.lft < node.lft and a.rght > node.rght]
        if policy.refusal(node, ancestors) is None:
            results.append({"node": node, "path": " › ".join(a.name for a in [*ancestors, node])})
    return results, too_many


# --- creating an offer --------------------------------------------------------------------------------------


def offer_create(request, pk):
    """ "Créer une offre" on the page of structure ``pk``: 404 outside the user's scope, 403 for a structure they
    only read; a structure where no offer may be created (the placement rules) says why."""
    path = CREATION_PATH(request.user, pk=pk)
    if not path or path[-1].pk != pk:
        raise Http404("Structure inconnue ou hors de votre périmètre.")
    *ancestors, node = path
    return creation_page(request, node, ancestors, managed=node.can_manage)


def offer_creation(request, pk):
    """The creation page again, for an offer saved as a draft at its creation ("Reprendre la saisie")."""
    offer = managed_offer(request, pk, published=False)  # among the offers of the EG the user manages
    return creation_page(request, offer.structure, offer.structure.outline_path(include_self=False), True, offer)


def creation_page(request, node, ancestors, managed, offer=None):
    """The general block with the modèle de saisie, the characteristics and a first contact on one page.
    "Publier" publishes the offer (its identifiant is given then); "Enregistrer le brouillon" keeps it
    unpublished, seen by the EG's managers only, where a field left empty is allowed.

    ``ancestors``: the node's, from its EG down; ``managed``: whether the user manages that EG."""
    eg = node if node.is_etablissement else ancestors[0]
    cache.attach([eg], "categorie")
    new_offer = offer or Offer(structure=node)
    policy = MovePolicy(new_offer, request.user)
    policy.remember([eg], {eg.tree_id} if managed else set())
    if not managed:
        raise PermissionDenied("Vous pouvez consulter cette structure, mais pas y créer d'offre.")
    refusal = policy.creation_refusal(node, ancestors)
    if refusal:
        messages.error(request, f"Aucune offre ne peut être créée ici : {refusal}")
        return redirect("structure_detail", pk=node.pk)
    contact = (offer.contacts.first() if offer else None) or Contact(offer=new_offer)
    action = request.POST.get("action") if request.method == "POST" else None
    data = request.POST if request.method == "POST" else None
    initial = CreationForm.raw_values(offer) | CharacteristicsForm.raw_values(offer) if offer else {}
    initial["version"] = offer.version if offer else None
    forms = {
        "general": CreationForm(data, initial=initial, offer=new_offer, policy=policy, categorie=eg.categorie),
        "characteristics": CharacteristicsForm(data, initial=initial, offer=new_offer, partial=action == "brouillon"),
    }
    for form in forms.values():
        form.fields["version"].required = offer is not None  # a new offer has none yet
    contact_form, telecoms = contact_forms(data, contact, offer, prefix="contact")
    errors = []
    if request.method == "POST":
        # A first contact is optional: checked when the user filled some of it (or it exists).
        contact_given = contact.pk is not None or contact_form.has_changed() or any(f.has_changed() for f in telecoms)
        # Every form validated, so that the page lists all the errors at once. The contact's level is checked
        # against the sensitivity submitted with it (Contact.clean: no lower level on a sensitive unit).
        valid = all([form.is_valid() for form in forms.values()])  # noqa: C419 (not short-circuited)
        new_offer.unite_sensible = bool(forms["general"].cleaned_data.get("unite_sensible"))
        if contact_given:
            valid = all([contact_form.is_valid(), telecoms.is_valid()]) and valid  # noqa: C419
        if action not in ("brouillon", "publier"):
            errors.append(INCOMPLETE)
        elif valid:
            changes = forms["general"].changes | forms["characteristics"].changes
            if contact_given:
                if contact.pk is None:
                    changes["contacts"] = PartEdits(added=[contact_form.instance])
                elif contact_form.changed_data:
                    changes["contacts"] = PartEdits(changed=[(contact_form.instance, contact_form.changed_data)])
                changes["telecoms"] = PartEdits.from_formset(telecoms)
            publish = action == "publier"
            version = forms["general"].cleaned_data.get("version")
            try:
                if offer is None:
                    offer = Offer.create(request.user, node, changes, publish=publish)
                elif publish:
                    offer.publish(request.user, changes, base_version=version)
                else:
                    offer.save_draft(request.user, changes, base_version=version)
            except (StaleOffer, MoveRefused, ValidationError) as error:
                errors.extend(error.messages if isinstance(error, ValidationError) else [str(error)])
            except Offer.DoesNotExist:
                raise Http404("Offre supprimée entre-temps.") from None
            else:
                if publish:
                    messages.success(request, f"Offre publiée, identifiant {offer.identifiant}.")
                else:
                    messages.success(
                        request,
                        "Brouillon enregistré : l'offre n'est pas publiée, seuls les gestionnaires de "
                        "l'établissement la voient.",
                    )
                return redirect("offer_detail", pk=offer.pk)
    title = f"Reprendre la saisie de l'offre {offer.nom}" if offer else "Créer une offre"
    context = {
        "page_title": title,
        "title": title,
        "breadcrumb": structure_crumbs([*ancestors, node], (title, None)),
        "node": node,
        "offer": offer,
        "forms": forms,
        "form": forms["general"],
        "characteristics": forms["characteristics"],
        "contact_form": contact_form,
        "formset": telecoms,
        "errors": errors,
        "action_url": reverse("offer_creation", args=[offer.pk]) if offer else reverse("offer_create", args=[node.pk]),
        "cancel_url": (
            reverse("offer_detail", args=[offer.pk]) if offer else reverse("structure_detail", args=[node.pk])
        ),
    }
    return render_page(request, "offers/offer_create.html", context)


def creation_delete(request, pk):
    """ "Supprimer le brouillon" of an offer never published: a confirmation page, then the deletion (POST)."""
    offer = managed_offer(request, pk, published=False)
    if request.method == "POST":
        version = parse_version(request.POST.get("version"))
        if version is None:
            messages.error(request, f"Le brouillon n'a pas été supprimé : {INCOMPLETE}")
            return redirect("offer_detail", pk=offer.pk)
        try:
            offer.discard_draft(request.user, base_version=version)
        except (StaleOffer, MoveRefused) as error:
            messages.error(request, f"Le brouillon n'a pas été supprimé : {error}")
            return redirect("offer_detail", pk=offer.pk)
        except Offer.DoesNotExist:
            raise Http404("Offre supprimée entre-temps.") from None
        messages.success(request, f"Brouillon « {offer.nom} » supprimé.")
        return redirect("structure_detail", pk=offer.structure_id)
    path = offer.structure.outline_path()
    title = f"Supprimer le brouillon {offer.nom}"
    context = {
        "page_title": title,
        "breadcrumb": offer_crumbs(offer, path, ("Supprimer le brouillon", None)),
        "offer": offer,
        "contacts": list(offer.contacts.all()),
    }
    return render_page(request, "offers/creation_delete.html", context)
