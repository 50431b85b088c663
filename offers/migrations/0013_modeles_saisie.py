from django.db import migrations


def seed(apps, schema_editor):
    from offers.modeles import load_modeles

    load_modeles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("offers", "0012_offer_creation"),
        ("nomenclatures", "0004_type_fermeture"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
