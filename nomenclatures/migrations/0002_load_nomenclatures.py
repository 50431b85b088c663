from django.db import migrations


def load_nomenclatures(apps, schema_editor):
    from nomenclatures.loading import load_all

    load_all(apps)


class Migration(migrations.Migration):
    dependencies = [("nomenclatures", "0001_initial")]

    operations = [migrations.RunPython(load_nomenclatures, migrations.RunPython.noop, elidable=False)]
