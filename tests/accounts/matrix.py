"""The kinds of account a scope rule is checked against (matrix tests): one of each way to be in, out of, or
partly in the scope of three EG — two in the Tarn (81), one in the Gers (32)."""

from accounts.models import Habilitation
from tests.accounts.factories import HabilitationFactory, UserFactory
from tests.structures.factories import EtablissementFactory


def etablissements():
    """(tarn, tarn_other, gers): the three EG the accounts are placed around."""
    return (
        EtablissementFactory(departement="81"),
        EtablissementFactory(departement="81"),
        EtablissementFactory(departement="32"),
    )


def accounts(tarn, tarn_other, gers):
    def user(*grants, **fields):
        account = UserFactory(**fields)
        for role, target in grants:
            HabilitationFactory(user=account, role=role, **target)
        return account

    R, REF, REG = Habilitation.Role.RESPONSABLE, Habilitation.Role.REFERENT, Habilitation.Role.REGULATEUR
    return {
        "responsable of the EG": user((R, {"etablissement": tarn})),
        "responsable of the EJ": user((R, {"entite_juridique": tarn.entite_juridique})),
        "référent of the 81": user((REF, {"departement": "81"})),
        "régulateur of the 81": user((REG, {"departement": "81"})),
        "régulateur of the 81, responsable in the Gers": user(
            (REG, {"departement": "81"}), (R, {"etablissement": gers})
        ),
        "référent of the 32, régulateur of the 81": user((REF, {"departement": "32"}), (REG, {"departement": "81"})),
        "référent of the 32, responsable of the other EG": user(
            (REF, {"departement": "32"}), (R, {"etablissement": tarn_other})
        ),
        "no habilitation": user(),
        "inactive référent": user((REF, {"departement": "81"}), is_active=False),
        "superuser": user(is_superuser=True),
    }
