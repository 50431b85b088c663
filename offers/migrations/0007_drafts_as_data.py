"""Drafts hold the pending values of every block as data (``OfferDraft.data``), events the old and new values
of the fields they edit (``OfferEvent.changes``). Existing drafts keep their values, as the "general" block."""

from django.db import migrations, models

GENERAL = ("nom", "champ_activite_id", "structure_id", "unite_sensible")


def drafts_to_data(apps, schema_editor):
    OfferDraft = apps.get_model("offers", "OfferDraft")
    for draft in OfferDraft.objects.all():
        draft.data = {"general": {name.removesuffix("_id"): getattr(draft, name) for name in GENERAL}}
        draft.save(update_fields=["data"])


def data_to_drafts(apps, schema_editor):
    """Back to the four columns: a draft without a general block cannot be kept."""
    OfferDraft = apps.get_model("offers", "OfferDraft")
    for draft in OfferDraft.objects.select_related("offer"):
        general = draft.data.get("general")
        if not general:
            draft.delete()
            continue
        for name in GENERAL:
            setattr(draft, name, general.get(name.removesuffix("_id")))
        draft.save()


class Migration(migrations.Migration):
    dependencies = [
        ("offers", "0006_offer_departement"),
    ]

    operations = [
        migrations.AddField(
            model_name="offerdraft",
            name="data",
            field=models.JSONField(blank=True, default=dict, verbose_name="modifications en attente"),
        ),
        migrations.AddField(
            model_name="offerevent",
            name="changes",
            field=models.JSONField(blank=True, default=list, verbose_name="modifications"),
        ),
        # The old columns become nullable first, so that going back can fill them again.
        migrations.AlterField(
            model_name="offerdraft",
            name="nom",
            field=models.CharField(max_length=255, null=True, verbose_name="nom de l'offre"),
        ),
        migrations.AlterField(
            model_name="offerdraft",
            name="champ_activite",
            field=models.ForeignKey(
                null=True,
                on_delete=models.PROTECT,
                related_name="+",
                to="nomenclatures.champactivite",
                verbose_name="champ d'activité",
            ),
        ),
        migrations.AlterField(
            model_name="offerdraft",
            name="structure",
            field=models.ForeignKey(
                null=True,
                on_delete=models.CASCADE,
                related_name="+",
                to="structures.structure",
                verbose_name="rattachement organisationnel",
            ),
        ),
        migrations.AlterField(
            model_name="offerdraft",
            name="unite_sensible",
            field=models.BooleanField(null=True, verbose_name="unité sensible"),
        ),
        migrations.RunPython(drafts_to_data, data_to_drafts),
        migrations.RemoveField(model_name="offerdraft", name="champ_activite"),
        migrations.RemoveField(model_name="offerdraft", name="nom"),
        migrations.RemoveField(model_name="offerdraft", name="structure"),
        migrations.RemoveField(model_name="offerdraft", name="unite_sensible"),
    ]
