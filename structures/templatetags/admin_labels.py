"""French admin titles with their article: "Modifier l'offre", "Ajouter une structure".

Django's French catalogue says "Modification de offre" and "Ajouter offre" because it cannot know the
gender of a model's name. The templates of templates/admin/ ask these tags instead; any model whose
name starts with a noun missing from GENDERS keeps Django's wording.
"""

from django import template
from django.utils.translation import gettext, ngettext

register = template.Library()

# The gender of the first word of the registered models' verbose_name.
GENDERS = {
    "activité": "f",
    "brouillon": "m",
    "catégorie": "f",
    "champ": "m",
    "configuration": "f",
    "contact": "m",
    "entité": "f",
    "fonction": "f",
    "groupe": "m",
    "habilitation": "f",
    "historique": "m",
    "mode": "m",
    "nature": "f",
    "niveau": "m",
    "offre": "f",
    "séquence": "f",
    "structure": "f",
    "télécommunication": "f",
    "type": "m",
    "utilisateur": "m",
}
VOWELS = "aâàeéèêiîoôuûh"


def articles(verbose_name):
    """("l'offre", "une offre") for a model's verbose name, or None when its gender is unknown."""
    name = str(verbose_name)
    gender = GENDERS.get(name.split(" ", 1)[0].lower())
    if gender is None:
        return None
    definite = f"l'{name}" if name[0].lower() in VOWELS else f"{'la' if gender == 'f' else 'le'} {name}"
    return definite, f"{'une' if gender == 'f' else 'un'} {name}"


@register.simple_tag
def admin_add_label(opts):
    """The "Ajouter une offre" button and breadcrumb."""
    found = articles(opts.verbose_name)
    return f"Ajouter {found[1]}" if found else gettext("Add %s") % opts.verbose_name


@register.simple_tag(takes_context=True)
def admin_title(context):
    """The page's title in French with its article, for the change form and the change list."""
    title = context.get("title") or ""
    opts = context.get("opts")
    found = articles(opts.verbose_name) if opts is not None else None
    if found is None:
        return title
    definite, indefinite = found
    name = opts.verbose_name
    french = {
        gettext("Add %s") % name: f"Ajouter {indefinite}",
        gettext("Change %s") % name: f"Modifier {definite}",
        gettext("View %s") % name: f"Consulter {definite}",
        gettext("Select %s to change") % name: f"Sélectionnez {definite} à modifier",
        gettext("Select %s to view") % name: f"Sélectionnez {definite} à consulter",
    }
    return french.get(str(title), title)


def count_bound(cl):
    """The paginator's bound as French text ("1 000") when the changelist's count stopped there, else None."""
    paginator = cl.paginator
    return paginator.bound_label if getattr(paginator, "truncated", False) else None


@register.simple_tag
def admin_result_count(cl):
    """The changelist's count: "1 offre", "23 offres", or "plus de 1 000 offres" (``BoundedPaginator``)."""
    bound = count_bound(cl)
    if bound:
        return f"plus de {bound} {cl.opts.verbose_name_plural}"
    name = cl.opts.verbose_name if cl.result_count == 1 else cl.opts.verbose_name_plural
    return f"{cl.result_count} {name}"


@register.simple_tag
def admin_search_count(cl):
    """The search's count: "1 résultat", "23 résultats", or "plus de 1 000 résultats"."""
    bound = count_bound(cl)
    if bound:
        return f"plus de {bound} résultats"
    return ngettext("%(counter)s result", "%(counter)s results", cl.result_count) % {"counter": cl.result_count}


@register.simple_tag
def admin_select_all_label(cl, module_name):
    """The actions bar's "select across pages" link, or None to keep Django's "Sélectionner les 23 offres"."""
    bound = count_bound(cl)
    return f"Sélectionner les plus de {bound} {module_name}" if bound else None
