"""Each import's file moves out of its batch row into a row of its own (ImportFile), so that
progress updates stop writing it again (see salama.transfer.models).

A sealed value is bound to its place (organisation, model, field, primary key, record version)
and does not open anywhere else, so the stored envelope cannot simply be copied. Each file not
yet shredded is opened where it was sealed, with its batch's data key, and sealed again for its
new row under a data key of its own, as a first save would. Every import keeps its file: open
ones can still be mapped and run, and queued or running ones resume where they stopped. The
batch keeps its data key, which also seals its file name and is destroyed when the import ends,
so an old database copy with the file on the batch becomes unreadable then, as before.

A file that does not open (its data key is gone, or its envelope was altered) stops the
migration, failing closed, rather than being dropped unseen: the operator looks into it first.
Both directions need the key store, as the application does. Going back moves each file onto
its batch again and destroys the file rows' data keys once that commits. The batch's column is
removed by the next migration, in a transaction of its own (see there).
"""

import django.db.models.deletion
import uuid
from django.db import migrations, models, transaction

import salama.core.encryption
from salama.core.encryption import key_store
from salama.crypto import Context, seal, unseal

BATCH_MODEL, FILE_MODEL, FIELD = "transfer.ImportBatch", "transfer.ImportFile", "table"
# Version of a record saved once, as each new file row is.
FIRST_VERSION = 1


def reseal(org_id, envelope, sealed_with, sealed_for, key_id, place):
    """The envelope, opened with data key `sealed_with` where it was sealed (`sealed_for`), and
    sealed again with data key `key_id` for `place`."""
    store = key_store()
    plain = unseal({sealed_with: store.data_key(str(org_id), sealed_with)}, envelope, sealed_for)
    return seal(store.data_key(str(org_id), key_id), key_id, plain, place)


def move_files_out(apps, schema_editor):
    ImportBatch = apps.get_model("transfer", "ImportBatch")
    ImportFile = apps.get_model("transfer", "ImportFile")
    kept = ImportBatch.objects.filter(shredded=False).exclude(table="")
    # The files are read one at a time: each may be tens of megabytes.
    for batch_id, org_id, batch_key_id, batch_version in list(
        kept.values_list("id", "organization_id", "data_key_id", "record_version")
    ):
        envelope = ImportBatch.objects.filter(pk=batch_id).values_list("table", flat=True).get()
        file_id = uuid.uuid4()
        file_key_id, _key = key_store().new_data_key(str(org_id))
        # Created empty, then given its envelope by an UPDATE: saving a historical model cannot
        # seal (it has none of EncryptedModel's methods), and an UPDATE writes the text as it is.
        ImportFile.objects.create(
            id=file_id,
            organization_id=org_id,
            batch_id=batch_id,
            data_key_id=file_key_id,
            record_version=FIRST_VERSION,
        )
        table = reseal(
            org_id,
            envelope,
            batch_key_id,
            Context(str(org_id), BATCH_MODEL, FIELD, str(batch_id), batch_version),
            file_key_id,
            Context(str(org_id), FILE_MODEL, FIELD, str(file_id), FIRST_VERSION),
        )
        ImportFile.objects.filter(pk=file_id).update(table=table)


def move_files_back(apps, schema_editor):
    ImportBatch = apps.get_model("transfer", "ImportBatch")
    ImportFile = apps.get_model("transfer", "ImportFile")
    # Putting the column back filled it with the text of its default ("{}"), which would not
    # open: an empty encrypted field is stored as "".
    ImportBatch.objects.update(table="")
    files = ImportFile.objects.exclude(table="").values_list(
        "id", "organization_id", "data_key_id", "record_version", "batch_id"
    )
    for file_id, org_id, file_key_id, file_version, batch_id in list(files):
        envelope = ImportFile.objects.filter(pk=file_id).values_list("table", flat=True).get()
        batch_key_id, batch_version = ImportBatch.objects.filter(pk=batch_id).values_list(
            "data_key_id", "record_version"
        ).get()
        table = reseal(
            org_id,
            envelope,
            file_key_id,
            Context(str(org_id), FILE_MODEL, FIELD, str(file_id), file_version),
            batch_key_id,
            Context(str(org_id), BATCH_MODEL, FIELD, str(batch_id), batch_version),
        )
        ImportBatch.objects.filter(pk=batch_id).update(table=table)
    for org_id, file_key_id in list(ImportFile.objects.values_list("organization_id", "data_key_id")):
        if file_key_id:
            transaction.on_commit(lambda org=str(org_id), key=file_key_id: key_store().destroy_data_key(org, key))


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0001_initial'),
        ('transfer', '0002_import_fixed_values'),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportFile',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('data_key_id', models.CharField(blank=True, editable=False, max_length=32)),
                ('record_version', models.PositiveIntegerField(default=0, editable=False)),
                ('table', salama.core.encryption.EncryptedJSONField(blank=True, default=dict, verbose_name='file content')),
                ('batch', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='file', to='transfer.importbatch')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='orgs.organization')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.RunPython(move_files_out, move_files_back),
    ]
