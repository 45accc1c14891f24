# The models of the work around a case moved to the core (mdm 0017, their tables renamed by
# 0007): removed from this app's state only, their data stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("stewardship", "0007_case_work_tables_move_to_mdm"),
        ("mdm", "0017_case_work_in_the_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="CaseComment"),
                migrations.DeleteModel(name="CaseTask"),
            ],
        ),
    ]
