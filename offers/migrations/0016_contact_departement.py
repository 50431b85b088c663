"""Contacts carry their offer's département (a référent's list of contacts reads an index range)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_departements(apps, schema_editor):
    Contact = apps.get_model("offers", "Contact")
    Offer = apps.get_model("offers", "Offer")
    Contact.objects.update(departement=Subquery(Offer.objects.filter(pk=OuterRef("offer_id")).values("departement")))


class Migration(migrations.Migration):
    dependencies = [
        ("nomenclatures", "0004_type_fermeture"),
        ("offers", "0015_fhir_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="departement",
            field=models.CharField(blank=True, editable=False, max_length=3, verbose_name="département"),
        ),
        migrations.RunPython(copy_departements, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["departement", "nom", "id"], name="offers_contact_dep_nom_id_idx"),
        ),
    ]
