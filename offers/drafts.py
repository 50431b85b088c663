"""Drafts: a user's pending changes to an offer, block by block, validated by the blocks' forms.

A draft holds ``{block: {field: raw value}}`` (``OfferDraft.data``), one per (offer, author). Saving a block
merges it into the draft and keeps the other blocks; "Modifier" on any block starts from the draft; publishing
validates every block again with its form, against the offer as it is then, and publishes them together.

The contacts block holds, per contact, what its page submitted (``{"contacts": {key: {"post": {name: [values]}}
or {"removed": true}}}``, the key a contact's id or "nouveau-<n>"), bound again to the contact's forms when
resumed or published.
"""

import re

from django.db import transaction
from django.utils.datastructures import MultiValueDict

from offers.forms import BLOCKS, contact_forms, display_raw, raw_structure_ids, raw_value
from offers.models import Contact, OfferDraft, PartEdits
from offers.values import to_raw
from structures.models import Structure

CONTACTS = "contacts"
NEW_CONTACT = re.compile(r"nouveau-[1-9][0-9]{0,5}")


def save_block(offer, user, form):
    """Merge ``form``'s block into ``user``'s draft of ``offer`` (created if need be); the draft's base is the
    version the form was based on."""
    return save_values(offer, user, form.block, form.draft_values(), form.cleaned_data["version"])


def save_values(offer, user, block, values, base_version, merge=False):
    """Put ``values`` under ``block`` in ``user``'s draft of ``offer`` (merged into what the block holds, with
    ``merge``). Serialised on the draft's row: two tabs saving two blocks keep both."""
    with transaction.atomic():
        OfferDraft.objects.get_or_create(offer=offer, author=user, defaults={"base_version": base_version})
        draft = OfferDraft.objects.select_for_update().get(offer=offer, author=user)
        held = draft.data.get(block) if merge and isinstance(draft.data.get(block), dict) else {}
        draft.data = {**draft.data, block: {**held, **values}}
        draft.base_version = base_version
        draft.save()
    return draft


def contact_entries(draft):
    """The draft's contacts block: {key: entry}, entries that are not dicts dropped."""
    entries = draft.data.get(CONTACTS) if draft is not None else None
    if not isinstance(entries, dict):
        return {}
    return {key: entry for key, entry in entries.items() if isinstance(entry, dict)}


def new_contact_key(draft):
    """A key for one more new contact in the draft ("nouveau-1", "nouveau-2"…)."""
    numbers = [int(key.split("-")[1]) for key in contact_entries(draft) if NEW_CONTACT.fullmatch(key)]
    return f"nouveau-{max(numbers, default=0) + 1}"


def submitted_contact(post):
    """A contact page's submission as the draft keeps it: its form's and télécoms' fields, as submitted."""
    return {"post": {name: post.getlist(name) for name in post if name not in ("csrfmiddlewaretoken", "action")}}


def save_contact(offer, user, key, post, base_version):
    """Keep one contact page's submission in the user's draft, under ``key``."""
    return save_values(offer, user, CONTACTS, {key: submitted_contact(post)}, base_version, merge=True)


def remove_contact(offer, user, contact, base_version):
    """ "Supprimer" a contact in the user's draft: the published contact stays until the draft is published."""
    return save_values(offer, user, CONTACTS, {str(contact.pk): {"removed": True}}, base_version, merge=True)


def drafted_name(entry):
    """The name a new contact has in the draft."""
    post = entry.get("post")
    values = post.get("nom") if isinstance(post, dict) else None
    name = values[0] if isinstance(values, list) and values else ""
    return " ".join(str(name).split()) or "sans nom"


def bound_contact_forms(entry, contact, offer):
    """The contact's forms bound to what the draft holds for it (as its page submitted them)."""
    post = entry.get("post") if isinstance(entry.get("post"), dict) else {}
    data = MultiValueDict({name: [str(v) for v in values] for name, values in post.items() if isinstance(values, list)})
    return contact_forms(data, contact, offer)


def contact_changes(offer, entries):
    """The contacts block of a draft validated by the contacts' forms against the offer as it is: the changes
    to publish ({"contacts": PartEdits, "telecoms": PartEdits}) and the errors (French)."""
    existing = {str(contact.pk): contact for contact in offer.contacts.all()}
    contacts, telecoms, errors = PartEdits(), PartEdits(), []
    for key, entry in entries.items():
        contact = Contact(offer=offer) if NEW_CONTACT.fullmatch(key) else existing.get(key)
        if entry.get("removed"):
            if contact is not None and contact.pk is not None:
                contacts.removed.append(contact)
            continue  # removed meanwhile too: nothing left to do
        if contact is None:
            errors.append("Contacts : un contact de votre brouillon a été supprimé entre-temps.")
            continue
        form, formset = bound_contact_forms(entry, contact, offer)
        if not (form.is_valid() and formset.is_valid()):
            name = contact.nom or form.data.get("nom") or "nouveau"
            messages = [message for field_errors in form.errors.values() for message in field_errors]
            messages += [str(message) for message in formset.non_form_errors()]
            messages += [message for row in formset.errors for field_errors in row.values() for message in field_errors]
            errors.append(f"Contact « {name} » : {' '.join(messages)}")
            continue
        if contact.pk is None:
            contacts.added.append(form.instance)
        elif form.changed_data:
            contacts.changed.append((form.instance, form.changed_data))
        part = PartEdits.from_formset(formset)
        telecoms.added += part.added
        telecoms.changed += part.changed
        telecoms.removed += part.removed
    return {"contacts": contacts, "telecoms": telecoms}, errors


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
    raw = data.get(CONTACTS)
    entries = {key: entry for key, entry in raw.items() if isinstance(entry, dict)} if isinstance(raw, dict) else {}
    if entries:
        changes, errors = contact_changes(offer, entries)
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
    contacts = None
    for draft in drafts:
        draft.rows = []
        draft.new_contacts = []
        entries = contact_entries(draft)
        if entries and contacts is None:
            contacts = {str(contact.pk): contact for contact in offer.contacts.all()}
        for key, entry in entries.items():
            if NEW_CONTACT.fullmatch(key):
                name = drafted_name(entry)
                draft.rows.append(("Contacts", "—", f"nouveau contact « {name} »"))
                draft.new_contacts.append((key, name))
            elif key in contacts:
                action = "supprimé" if entry.get("removed") else "modifié (contact ou télécoms)"
                draft.rows.append((f"Contact « {contacts[key].nom} »", "publié", action))
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
