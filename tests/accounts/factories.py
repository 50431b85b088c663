import factory

from accounts.models import Habilitation, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"utilisateur{n}")
    first_name = "Prénom"
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    password = factory.django.Password("ror-demo-2026")


class HabilitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Habilitation

    user = factory.SubFactory(UserFactory)
    role = Habilitation.Role.RESPONSABLE

    class Params:
        referent = factory.Trait(role=Habilitation.Role.REFERENT)
        regulateur = factory.Trait(role=Habilitation.Role.REGULATEUR)
