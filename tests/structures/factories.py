import factory

from structures.models import EntiteJuridique, Structure


class EntiteJuridiqueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EntiteJuridique

    finess_ej = factory.Sequence(lambda n: f"99{n:07d}")  # no real EJ: the seed data holds 81…
    raison_sociale = factory.Sequence(lambda n: f"ENTITÉ JURIDIQUE {n}")


class EtablissementFactory(factory.django.DjangoModelFactory):
    """An EG: the root of its own tree. Catégorie 365 (sanitaire) unless told otherwise."""

    class Meta:
        model = Structure

    kind = Structure.Kind.ETABLISSEMENT
    name = factory.Sequence(lambda n: f"ÉTABLISSEMENT {n}")
    finess_et = factory.Sequence(lambda n: f"80{n:07d}")
    entite_juridique = factory.SubFactory(EntiteJuridiqueFactory)
    categorie_id = "365"
    departement = "81"

    class Params:
        medico_social = factory.Trait(categorie_id="500")
        ssr = factory.Trait(categorie_id="109")


class StructureFactory(factory.django.DjangoModelFactory):
    """An internal structure (a UF unless told otherwise) inside an EG's tree."""

    class Meta:
        model = Structure

    kind = Structure.Kind.UF
    name = factory.Sequence(lambda n: f"Structure {n}")
    parent = factory.SubFactory(EtablissementFactory)

    class Params:
        pole = factory.Trait(kind=Structure.Kind.POLE)
        service = factory.Trait(kind=Structure.Kind.SERVICE)
