"""The batch's own copy of the file goes, once 0003 has moved every file to its own row.

A migration of its own: on PostgreSQL, the file rows 0003 inserts leave foreign key checks
pending until its transaction ends, and ALTER TABLE on the batch table refuses to run while
they are.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('transfer', '0003_import_file_own_row'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='importbatch',
            name='table',
        ),
    ]
