"""Drafts: a user's pending changes to an offer, block by block, validated by the blocks' forms.

A draft holds ``{block: {field: raw value}}`` (``OfferDraft.data``), one per (offer, author). Saving a block
merges it into the draft and keeps the other blocks; "Modifier" on any block starts from the draft; publishing
validates every block again with its form, against the offer as it is then, and publishes them together.
"""

from django.db import transaction

from offers.forms import BLOCKS, display_raw, raw_structure_ids, raw_value
from offers.models import OfferDraft
from offers.values import to_raw
from structures.models import Structure


def save_block(offer, user, form):
    """Merge ``form``'s block into ``user``'s draft of ``offer`` (created if need be); the draft's base is the
    version the form was based on. Serialised on the draft's row: two tabs saving two blocks keep both."""
    with transaction.atomic():
        OfferDraft.objects.get_or_create(
            offer=offer, author=user, defaults={"base_version": form.cleaned_data["version"]}
        )
        draft = OfferDraft.objects.select_for_update().get(offer=offer, author=user)
        draft.data = {**draft.data, form.block: form.draft_values()}
        draft.base_version = form.cleaned_data["version"]
        draft.save()
    return draft


def block_values(draft, form_class):
    """The draft's raw values of one block, or None when the draft leaves that block as published."""
    if draft is None:
        return None
    values = draft.data.get(form_class.block)
    return dict(values) if isinstance(values, dict) else None


def validated_changes(offer, policy, data, base_version):
    """Every block of ``data`` ({block: raw values}) validated by its form against ``offer``: the changes to
    publish and the errors (French, one per field in error), as one would get by submitting each block."""
    changes, errors = {}, []
    for block, values in data.items():
        form_class = BLOCKS.get(block)
        if form_class is None or not isinstance(values, dict):
            continue  # a block that no longer exists: nothing to publish
        # A field the draft does not hold (a block that gained a field since) keeps its published value.
        data = form_class.raw_values(offer) | values | {"version": base_version}
        form = form_class(data=data, offer=offer, policy=policy)
        if form.is_valid():
            changes |= form.changes
        else:
            for name, messages in form.errors.items():
                label = form_class.label(name) if name in form_class.base_fields else form_class.title
                errors.append(f"{label} : {' '.join(messages)}")
    return changes, errors


def annotate_differences(drafts, offer):
    """Set ``draft.rows``, (label, published, drafted) for each field a draft changes, on every draft of
    ``offer``: the structures they name are read in one query."""
    ids = set()
    for draft in drafts:
        ids |= raw_structure_ids(draft.data)
    structures = {offer.structure_id: offer.structure}
    missing = ids - set(structures)
    if missing:
        structures |= {node.pk: node for node in Structure.objects.filter(pk__in=missing).only("pk", "name")}
    published = {}
    for draft in drafts:
        draft.rows = []
        for form_class in BLOCKS.values():
            values = block_values(draft, form_class)
            for name in form_class.field_names() if values else []:
                if name not in values:
                    continue
                if name not in published:
                    published[name] = raw_value(offer, name)
                if to_raw(values[name]) != published[name]:
                    draft.rows.append(
                        (
                            form_class.label(name),
                            display_raw(name, published[name], structures),
                            display_raw(name, values[name], structures),
                        )
                    )
    return drafts
