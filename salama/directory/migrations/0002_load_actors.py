from django.db import migrations


def load(apps, schema_editor):
    from salama.directory.data import load_actors

    load_actors(apps.get_model("directory", "ProtectionActor"))


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
