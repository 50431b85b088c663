"""Territory in the référents' admin, as a matrix: référent (81, 31, both, superuser) × object × action.

Every object knows the départements it touches; the expected outcome is derived from that alone:
- a référent *sees* an object touching their territory, and nothing else (absent = "not found");
- a référent *changes or deletes* an object only when everything it touches lies in their territory;
- an EG or an EJ (FINESS) is never deleted in the admin; an account without habilitation belongs to its creator.
Forms are submitted as the rendered page has them (``tests.page_forms``).
"""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from accounts.models import Habilitation, User
from offers.models import Contact, Offer
from structures.models import EntiteJuridique, Structure
from tests.accounts.factories import HabilitationFactory, UserFactory
from tests.offers.factories import ContactFactory, OfferFactory
from tests.page_forms import form_data
from tests.structures.factories import EntiteJuridiqueFactory, EtablissementFactory, StructureFactory

pytestmark = pytest.mark.django_db

ALL = {"81", "31"}
REFERENTS = {"r81": {"81"}, "r31": {"31"}, "r8131": {"81", "31"}, "superuser": ALL}


@pytest.fixture
def world(db):
    ej81 = EntiteJuridiqueFactory(raison_sociale="MAT EJ 81")
    ej31 = EntiteJuridiqueFactory(raison_sociale="MAT EJ 31")
    ejx = EntiteJuridiqueFactory(raison_sociale="MAT EJ 81 et 31")
    eg81 = EtablissementFactory(name="MAT EG 81", entite_juridique=ej81, departement="81")
    eg31 = EtablissementFactory(name="MAT EG 31", entite_juridique=ej31, departement="31")
    egx81 = EtablissementFactory(name="MAT EGX 81", entite_juridique=ejx, departement="81")
    egx31 = EtablissementFactory(name="MAT EGX 31", entite_juridique=ejx, departement="31")
    uf81 = StructureFactory(parent=eg81, name="MAT UF 81")
    uf31 = StructureFactory(parent=eg31, name="MAT UF 31")
    o81 = OfferFactory(structure=StructureFactory(parent=eg81, name="MAT UF offres 81"), nom="MAT Offre 81")
    o31 = OfferFactory(structure=StructureFactory(parent=eg31, name="MAT UF offres 31"), nom="MAT Offre 31")
    c81 = ContactFactory(offer=o81, nom="MAT Contact 81")
    c31 = ContactFactory(offer=o31, nom="MAT Contact 31")

    referents = {}
    for key, departements_ in REFERENTS.items():
        if key == "superuser":
            referents[key] = UserFactory(username="mat_superuser", is_staff=True, is_superuser=True)
            continue
        referents[key] = UserFactory(username=f"mat_{key}", is_staff=True)
        for departement in sorted(departements_):
            HabilitationFactory(user=referents[key], referent=True, departement=departement)

    def account(name, *scopes, created_by=None):
        user = UserFactory(username=f"mat_{name}", created_by=created_by)
        for scope in scopes:
            HabilitationFactory(user=user, **scope)
        return user

    accounts = {
        "acc81": account("acc81", {"etablissement": eg81}),
        "acc31": account("acc31", {"etablissement": eg31}),
        "acc_both": account("acc_both", {"etablissement": eg81}, {"etablissement": eg31}),
        "acc_ej81": account("acc_ej81", {"entite_juridique": ej81}),
        "acc_ejx": account("acc_ejx", {"entite_juridique": ejx}),
        "acc_dep81": account("acc_dep81", {"regulateur": True, "departement": "81"}),
        "acc_referent_elsewhere": account(
            "acc_referent_elsewhere", {"etablissement": eg81}, {"referent": True, "departement": "31"}
        ),
        "acc_none": account("acc_none"),
        "acc_none_by_r81": account("acc_none_by_r81", created_by=referents["r81"]),
    }
    territory = {
        "ej81": (ej81, {"81"}),
        "ej31": (ej31, {"31"}),
        "ejx": (ejx, {"81", "31"}),
        "eg81": (eg81, {"81"}),
        "eg31": (eg31, {"31"}),
        "egx81": (egx81, {"81"}),
        "egx31": (egx31, {"31"}),
        "uf81": (uf81, {"81"}),
        "uf31": (uf31, {"31"}),
        "o81": (o81, {"81"}),
        "o31": (o31, {"31"}),
        "c81": (c81, {"81"}),
        "c31": (c31, {"31"}),
        "acc81": (accounts["acc81"], {"81"}),
        "acc31": (accounts["acc31"], {"31"}),
        "acc_both": (accounts["acc_both"], {"81", "31"}),
        "acc_ej81": (accounts["acc_ej81"], {"81"}),
        "acc_ejx": (accounts["acc_ejx"], {"81", "31"}),
        "acc_dep81": (accounts["acc_dep81"], {"81"}),
        "acc_referent_elsewhere": (accounts["acc_referent_elsewhere"], {"81", "31"}),
        "acc_none": (accounts["acc_none"], set()),
        "acc_none_by_r81": (accounts["acc_none_by_r81"], set()),
        "r81": (referents["r81"], {"81"}),
        "r31": (referents["r31"], {"31"}),
        "r8131": (referents["r8131"], {"81", "31"}),
    }
    return {"objects": territory, "referents": referents}


def sees(referent, key, touched):
    if referent == "superuser":
        return True
    if key == "acc_none_by_r81":
        return referent == "r81"
    return bool(touched & REFERENTS[referent])


def manages(referent, key, touched):
    if referent == "superuser":
        return True
    if key == "acc_none_by_r81":
        return referent == "r81"
    return bool(touched) and touched <= REFERENTS[referent]


def may_delete(referent, key, touched):
    obj_is_finess = key.startswith(("eg", "ej"))
    return manages(referent, key, touched) and not obj_is_finess


def admin_url(obj, action):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{action}", args=[obj.pk])


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


OBJECT_KEYS = [
    "ej81", "ej31", "ejx", "eg81", "eg31", "egx81", "uf81", "uf31", "o81", "o31", "c81", "c31",
    "acc81", "acc31", "acc_both", "acc_ej81", "acc_ejx", "acc_dep81", "acc_referent_elsewhere",
    "acc_none", "acc_none_by_r81", "r81", "r8131",
]  # fmt: skip

# What a change POST alters, per model: (field in the rendered form, new value, how to read it back).
EDITS = {
    EntiteJuridique: ("raison_sociale", "MAT modifiée", lambda obj: obj.raison_sociale),
    Structure: ("name", "MAT modifiée", lambda obj: obj.name),
    Offer: ("age_min", "7", lambda obj: str(obj.age_min)),
    Contact: ("nom", "MAT modifié", lambda obj: obj.nom),
    User: ("last_name", "Modifié", lambda obj: obj.last_name),
}


def client_of(client, world, referent):
    client.force_login(world["referents"][referent])
    return client


@pytest.fixture(params=list(REFERENTS))
def referent(request):
    return request.param


ACCOUNT_KEYS = [key for key in OBJECT_KEYS if key.startswith(("acc", "r8", "r3"))]


@pytest.mark.parametrize("key", OBJECT_KEYS)
def test_history_change_password_delete(client, world, referent, key):
    """One object, one référent: each admin action is allowed, read-only or "not found" as the oracle says."""
    obj, touched = world["objects"][key]
    client = client_of(client, world, referent)
    seen, managed = sees(referent, key, touched), manages(referent, key, touched)

    assert client.get(admin_url(obj, "history")).status_code == (200 if seen else 302)
    check_change(client, obj, seen, managed)
    if isinstance(obj, User):
        check_password(client, obj, seen, managed)
    # FINESS rows are never deleted here; the acting référent's own account now has an admin history (the
    # change above), which only a superuser may delete.
    deletable = managed and not key.startswith(("eg", "ej"))
    check_delete(client, obj, seen, deletable, protected=key == referent and referent != "superuser")


def check_change(client, obj, seen, managed):
    field, value, read_back = EDITS[type(obj)]
    page = client.get(admin_url(obj, "change"))
    if not seen:
        assert page.status_code == 302  # the admin's "does not exist", back to the index
        assert str(obj) not in client.get(page["Location"]).text
        assert client.post(admin_url(obj, "change"), {field: value}).status_code == 302
        return
    assert page.status_code == 200
    editable = 'name="_save"' in page.text
    assert editable == managed
    before = read_back(obj)
    if editable:
        data = form_data(page.text, f"{obj._meta.model_name}_form", **{field: value})
        response = client.post(admin_url(obj, "change"), data)
        assert response.status_code == 302, response.context["adminform"].form.errors
    else:
        assert client.post(admin_url(obj, "change"), {field: value}).status_code == 403
    obj.refresh_from_db()
    assert read_back(obj) == (value if editable else before)


def check_password(client, user, seen, managed):
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    new = "Nouveau-mot-de-passe-2026!"
    page = client.get(url)
    response = client.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    user.refresh_from_db()
    if not seen:
        assert page.status_code == response.status_code == 404
    elif managed:
        assert page.status_code == 200 and response.status_code == 302
    else:
        assert page.status_code == response.status_code == 403
    assert user.check_password(new) == managed


def check_delete(client, obj, seen, deletable, protected):
    page = client.get(admin_url(obj, "delete"))
    response = client.post(admin_url(obj, "delete"), {"post": "yes"})
    exists = type(obj)._default_manager.filter(pk=obj.pk).exists()
    if deletable and protected:
        assert page.status_code == response.status_code == 200
        assert "hors de votre territoire ou sans territoire" in page.text
        assert exists
        return
    if deletable:
        assert page.status_code == 200 and response.status_code == 302
        assert not exists
        return
    assert exists
    # Never deletable at all (an EJ) or not for this user: 403; out of sight: "does not exist" (302).
    refused = 403 if seen or isinstance(obj, EntiteJuridique) else 302
    assert page.status_code == response.status_code == refused


@pytest.mark.parametrize(
    "model,keys",
    [
        (EntiteJuridique, ["ej81", "ej31", "ejx"]),
        (Offer, ["o81", "o31"]),
        (Contact, ["c81", "c31"]),
        (User, ACCOUNT_KEYS),
    ],
)
def test_changelists_list_exactly_what_touches_the_territory(client, world, referent, model, keys):
    client = client_of(client, world, referent)

    response = client.get(changelist_url(model) + "?q=MAT")

    listed = set(response.context["cl"].queryset)
    expected = {world["objects"][key][0] for key in keys if sees(referent, key, world["objects"][key][1])}
    assert listed & {world["objects"][key][0] for key in keys} == expected


def test_the_structure_changelist_lists_the_territory_at_every_level(client, world, referent):
    client = client_of(client, world, referent)

    roots = set(client.get(changelist_url(Structure) + "?parent=racines").context["cl"].queryset)
    found = set(client.get(changelist_url(Structure) + "?q=MAT").context["cl"].queryset)

    keys = ["eg81", "eg31", "egx81", "egx31", "uf81", "uf31"]
    expected = {world["objects"][key][0] for key in keys if sees(referent, key, world["objects"][key][1])}
    assert {node for node in found if node.name.startswith("MAT")} & {world["objects"][k][0] for k in keys} == expected
    assert {node for node in roots if node.name.startswith("MAT")} == {n for n in expected if n.is_etablissement}


# --- granting habilitations ----------------------------------------------------------------------------------

SCOPES = {
    "eg81": ({"81"}, "etablissement"),
    "egx31": ({"31"}, "etablissement"),
    "ej81": ({"81"}, "entite_juridique"),
    "ej31": ({"31"}, "entite_juridique"),
    "ejx": ({"81", "31"}, "entite_juridique"),
    "dep81": ({"81"}, "departement"),
    "dep31": ({"31"}, "departement"),
}


@pytest.mark.parametrize("scope", list(SCOPES))
def test_a_habilitation_is_granted_only_when_everything_it_covers_is_in_the_territory(client, world, referent, scope):
    covered, field = SCOPES[scope]
    granter = world["referents"][referent]
    newcomer = UserFactory(username="mat_newcomer", created_by=granter)
    client = client_of(client, world, referent)
    page = client.get(admin_url(newcomer, "change"))
    value = scope[3:] if field == "departement" else world["objects"][scope][0].pk
    role = "referent" if field == "departement" else "responsable"  # a département goes to référents/régulateurs
    data = form_data(page.text, "user_form", **{f"habilitations-0-{field}": value, "habilitations-0-role": role})

    response = client.post(admin_url(newcomer, "change"), data)

    granted = Habilitation.objects.filter(user=newcomer).exists()
    allowed = referent == "superuser" or covered <= REFERENTS[referent]
    assert granted == allowed, response.content[:300]
    if allowed:
        assert response.status_code == 302
    else:
        assert response.status_code == 200
        errors = str(response.context["inline_admin_formsets"][0].formset.errors)
        if field == "entite_juridique" and covered & REFERENTS[referent]:
            assert "a des établissements hors de votre territoire" in errors
        else:
            assert "pas dans votre territoire" in errors or "Sélectionnez un choix valide" in errors, errors


def test_the_ej_autocomplete_of_a_habilitation_offers_only_ej_entirely_inside(client, world, referent):
    client = client_of(client, world, referent)
    params = "app_label=accounts&model_name=habilitation&field_name=entite_juridique&term=MAT"

    response = client.get(reverse("admin:autocomplete") + "?" + params)

    offered = {int(row["id"]) for row in response.json()["results"]}
    expected = {
        world["objects"][key][0].pk
        for key in ("ej81", "ej31", "ejx")
        if referent == "superuser" or world["objects"][key][1] <= REFERENTS[referent]
    }
    assert offered == expected


def test_a_referent_cannot_make_anyone_superuser(client, world):
    client = client_of(client, world, "r81")
    target = world["objects"]["acc81"][0]
    page = client.get(admin_url(target, "change"))
    assert 'name="_save"' in page.text and 'name="is_superuser"' not in page.text
    data = form_data(page.text, "user_form", is_superuser="on", last_name="Changé")

    response = client.post(admin_url(target, "change"), data)

    assert response.status_code == 302  # the form was accepted: the refusal is not a side effect of errors
    target.refresh_from_db()
    assert target.last_name == "Changé" and not target.is_superuser


def test_an_account_created_by_a_referent_is_theirs_until_it_has_habilitations(client, world):
    client = client_of(client, world, "r81")

    response = client.post(
        reverse("admin:accounts_user_add"),
        {"username": "mat_cree", "password1": "Un-mot-de-passe-long-2026", "password2": "Un-mot-de-passe-long-2026",
         "usable_password": "true", "habilitations-TOTAL_FORMS": "0", "habilitations-INITIAL_FORMS": "0"},
    )  # fmt: skip

    created = User.objects.get(username="mat_cree")
    assert response.status_code == 302
    assert created.created_by == world["referents"]["r81"]
    assert User.objects.administered_by(world["referents"]["r81"]).filter(pk=created.pk).exists()
    assert not User.objects.visible_in_admin_to(world["referents"]["r31"]).filter(pk=created.pk).exists()


def test_deleting_an_account_with_an_admin_history_is_left_to_superusers(client, world):
    target = world["objects"]["acc81"][0]
    LogEntry.objects.log_actions(target.pk, [world["objects"]["eg31"][0]], 2, change_message="modifié")
    client = client_of(client, world, "r81")

    page = client.get(admin_url(target, "delete"))
    client.post(admin_url(target, "delete"), {"post": "yes"})

    assert User.objects.filter(pk=target.pk).exists()
    assert "hors de votre territoire ou sans territoire" in page.text
    assert "MAT EG 31" not in page.text


def test_the_delete_page_of_an_offer_lists_only_its_own_rows(client, world):
    offer = world["objects"]["o81"][0]
    client = client_of(client, world, "r81")

    page = client.get(admin_url(offer, "delete"))

    assert "MAT Contact 81" in page.text
    assert "MAT Contact 31" not in page.text and "MAT Offre 31" not in page.text


def test_the_change_pages_administered_flag_is_administered_by_for_every_referent_and_account(world):
    # UserAdmin.get_object reads an account and the flag in one query (visible_with_administered).
    accounts = {name: obj for name, (obj, _) in world["objects"].items() if isinstance(obj, User)}
    for referent in world["referents"].values():
        administered = set(User.objects.administered_by(referent))
        flags = dict(User.objects.visible_with_administered(referent).values_list("pk", "administered"))
        assert set(flags) == set(User.objects.visible_in_admin_to(referent).values_list("pk", flat=True))
        for name, account in accounts.items():
            if account.pk in flags:
                assert flags[account.pk] == (account in administered), (referent.username, name)
        assert {pk for pk, flag in flags.items() if flag} == {user.pk for user in administered}
    r81 = dict(
        User.objects.visible_with_administered(world["referents"]["r81"]).values_list("username", "administered")
    )
    assert r81["mat_acc81"] and not r81["mat_acc_both"]  # both answers occur
