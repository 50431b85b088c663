"""Demo data: the Tarn établissements and the scenario of the seed guide ("Comment déplacer une offre ?")."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Habilitation
from nomenclatures.loading import load_all
from offers.completeness import refresh
from offers.modeles import load_modeles
from offers.models import Contact, Offer, Telecom
from structures.finess import FinessImport
from structures.models import Structure

FINESS_DIR = Path(__file__).resolve().parents[3] / "structures" / "data" / "finess"
FINESS_FILES = [
    FINESS_DIR / "tarn81-RECONSTRUCTED-from-sae2021-in-cs1100502-layout.csv",
    FINESS_DIR / "etalab-cs1100502-excerpt-20260512.csv",
]
DEMO_PASSWORD = "ror-demo-2026"

CLAUDE_BERNARD = "810000224"
REFUGE_PROTESTANT = "810000158"
CMRF_ALBI = "810000232"
CH_ALBI = "810000505"
EHPAD_CAYENNE = "970302287"
EJ_CLAUDE_BERNARD = "810000471"

K = Structure.Kind


def offer(nom, champ="01", mode="28", activites=("013",), type_offre=None, ages=(18, None), contacts=()):
    return {
        "nom": nom, "champ": champ, "mode": mode, "activites": activites, "type_offre": type_offre,
        "ages": ages, "contacts": contacts,
    }  # fmt: skip


USIC_CONTACTS = [
    {
        "nom": "Secrétariat de cardiologie",
        "fonction": "05",
        "nature": "07",
        "confidentialite": "2",
        "telecoms": [
            ("phone", "05 63 77 00 00", "2"),
            ("email", "cardiologie@clinique-claude-bernard.fr", "2"),
        ],
    },
    {
        "nom": "Cadre de santé de l'USIC",
        "fonction": "03",
        "nature": "08",
        "confidentialite": "3",
        "telecoms": [("phone", "05 63 77 00 01", "3")],
    },
]

# (finess, displayed name, tree): a tree is a list of (kind, name, children, offers).
TREES = [
    (
        CLAUDE_BERNARD,
        "CLINIQUE CLAUDE BERNARD - ALBI",
        [
            (K.POLE, "Pédiatrie - Obstétrique", [
                (K.UF, "Cardiologie médicale - USIC", [], [
                    offer("Unité de Soins Intensifs Cardiologie (USIC)", activites=("354", "013"),
                          type_offre="262", contacts=USIC_CONTACTS),
                ]),
            ], []),
            (K.POLE, "Médecine", [
                (K.SERVICE, "Cardiologie", [
                    (K.UF, "Consultation Cardiologie", [], [
                        offer("Consultations de cardiologie", mode="32", type_offre="69"),
                    ]),
                    (K.UF, "HC Cardiologie", [], [
                        offer("Hospitalisation complète de cardiologie", type_offre="16"),
                    ]),
                    (K.UF, "HJ Cardiologie", [], [
                        offer("Hôpital de jour de cardiologie", mode="29"),
                    ]),
                    (K.UF, "Salle d'échographie cardiaque", [], [
                        offer("Échographie cardiaque", mode="55", activites=("067", "013")),
                    ]),
                ], []),
            ], []),
        ],
    ),
    (
        REFUGE_PROTESTANT,
        "CL DU REFUGE PROTESTANT",
        [
            (K.POLE, "Médecine", [
                (K.SERVICE, "Médecine polyvalente", [
                    (K.UF, "Hospitalisation de médecine polyvalente", [], [
                        offer("Médecine polyvalente – hospitalisation complète", activites=("083",)),
                    ]),
                ], []),
            ], []),
            (K.POLE, "Cardiologie", [
                (K.UF, "Consultations de cardiologie", [], [
                    offer("Consultations de cardiologie – Mazamet", mode="32", type_offre="69"),
                ]),
            ], []),
        ],
    ),
    (
        CMRF_ALBI,
        "CENTRE CMRF ALBI",
        [
            (K.POLE, "Rééducation et réadaptation", [
                (K.UF, "SMR cardio-vasculaire", [], [
                    offer("Réadaptation cardio-vasculaire", champ="02", activites=("235",)),
                ]),
            ], []),
        ],
    ),
    (
        EHPAD_CAYENNE,
        None,
        [
            (None, None, None, [
                offer("Hébergement permanent", champ="04", mode="46", activites=("050",), type_offre="21",
                      ages=(60, None)),
                offer("Accueil de jour", champ="04", mode="47", activites=("050",), type_offre="21", ages=(60, None)),
            ]),
        ],
    ),
]  # fmt: skip

ACCOUNTS = [
    # username, first name, last name, staff, habilitations (role, kind of scope, value)
    ("gestionnaire", "Camille", "Gestionnaire", False, [
        (Habilitation.Role.RESPONSABLE, "entite_juridique", EJ_CLAUDE_BERNARD),
        (Habilitation.Role.RESPONSABLE, "etablissement", REFUGE_PROTESTANT),
        (Habilitation.Role.RESPONSABLE, "etablissement", CMRF_ALBI),
        (Habilitation.Role.RESPONSABLE, "etablissement", EHPAD_CAYENNE),
    ]),
    ("autre", "Dominique", "Autre", False, [(Habilitation.Role.RESPONSABLE, "etablissement", CH_ALBI)]),
    ("referent", "Claude", "Référent", True, [(Habilitation.Role.REFERENT, "departement", "81")]),
    ("regulateur", "Sacha", "Régulateur", False, [(Habilitation.Role.REGULATEUR, "departement", "81")]),
]  # fmt: skip

ACCOUNT_DESCRIPTIONS = {
    "gestionnaire": "responsable offre de structure (EJ 810000471, EG 810000158, 810000232 et l'EHPAD 970302287)",
    "autre": "responsable offre de structure du CH d'Albi uniquement",
    "referent": "référent ROR du Tarn (81), accès à l'administration",
    "regulateur": "régulateur du Tarn (81), lecture seule",
}


class Command(BaseCommand):
    help = "Charge les données de démonstration (établissements du Tarn, scénario de la fiche pratique, comptes)."

    def handle(self, *args, **options):
        with transaction.atomic():
            # Already loaded by the migrations; again here after a flush (e.g. browser tests).
            load_all()
            load_modeles()
        for path in FINESS_FILES:
            report = FinessImport(path).run()
            self.stdout.write(
                f"{path.name} : {report.created} établissement(s) créé(s), {report.updated} mis à jour, "
                f"{report.unchanged} inchangé(s), {report.rejected_count} rejeté(s)."
            )
        with transaction.atomic():
            created = sum(self.build_tree(*tree) for tree in TREES)
            accounts = self.accounts()
        self.stdout.write(
            f"Scénario de la fiche pratique : {created} structure(s) ou offre(s) créée(s)."
            if created
            else "Scénario de la fiche pratique : déjà en place."
        )
        self.stdout.write(f"Comptes de démonstration (mot de passe « {DEMO_PASSWORD} ») :")
        for username in accounts:
            self.stdout.write(f"  - {username} : {ACCOUNT_DESCRIPTIONS[username]}")

    def build_tree(self, finess, display_name, children):
        eg = Structure.objects.get(finess_et=finess)
        if display_name and eg.name != display_name:
            eg.name = display_name
            eg.save(update_fields=["name", "updated_at"])
        return self.build_children(eg, children)

    def build_children(self, parent, children):
        created = 0
        for kind, name, grandchildren, offers in children:
            node = parent
            if kind is not None:
                node = Structure.objects.filter(parent=parent, kind=kind, name=name).first()
                if node is None:
                    node = Structure.objects.insert_node(
                        Structure(kind=kind, name=name),
                        Structure.objects.get(pk=parent.pk),
                        position="last-child",
                        save=True,
                    )
                    created += 1
                created += self.build_children(node, grandchildren or [])
            for spec in offers:
                created += self.build_offer(node, spec)
        return created

    def build_offer(self, structure, spec):
        if Offer.objects.filter(structure=structure, nom=spec["nom"]).exists():
            return 0
        age_min, age_max = spec["ages"]
        item = Offer.objects.create(
            structure=structure,
            nom=spec["nom"],
            champ_activite_id=spec["champ"],
            modele_saisie="260/01" if spec["champ"] == "01" else f"{spec['champ']}0/01",
            unite_sensible=False,
            type_offre_id=spec["type_offre"],
            mode_prise_en_charge_id=spec["mode"],
            age_min=age_min,
            age_max=age_max,
        )
        item.activites.set(spec["activites"])
        for contact_spec in spec["contacts"]:
            contact = Contact.objects.create(
                offer=item,
                nom=contact_spec["nom"],
                fonction_id=contact_spec["fonction"],
                nature_id=contact_spec["nature"],
                confidentialite_id=contact_spec["confidentialite"],
            )
            Telecom.objects.bulk_create(
                Telecom(contact=contact, canal=canal, valeur=valeur, confidentialite_id=level)
                for canal, valeur, level in contact_spec["telecoms"]
            )
        refresh(Offer.objects.filter(pk=item.pk))
        return 1

    def accounts(self):
        User = get_user_model()
        names = []
        for username, first_name, last_name, staff, habilitations in ACCOUNTS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "is_staff": staff,
                    # "Mot de passe oublié ?" works in development: the e-mail is printed on the console.
                    "email": f"{username}@ror-demo.invalid",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            for role, scope, value in habilitations:
                if scope == "etablissement":
                    target = {"etablissement": Structure.objects.get(finess_et=value)}
                elif scope == "entite_juridique":
                    target = {"entite_juridique": Structure.objects.get(finess_et=CLAUDE_BERNARD).entite_juridique}
                    assert target["entite_juridique"].finess_ej == value
                else:
                    target = {"departement": value}
                Habilitation.objects.get_or_create(user=user, role=role, **target)
            names.append(username)
        return names
