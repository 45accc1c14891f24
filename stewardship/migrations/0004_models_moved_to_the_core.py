# The models of merge proposals and steward rulings moved to the core (mdm 0007, their
# tables renamed by 0003): removed from this app's state only, their data stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("stewardship", "0003_tables_move_to_mdm"),
        ("mdm", "0007_proposals_and_rulings_in_the_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='historicalpairconstraint',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalpairconstraint',
                    name='left',
                ),
                migrations.RemoveField(
                    model_name='historicalpairconstraint',
                    name='proposal',
                ),
                migrations.RemoveField(
                    model_name='historicalpairconstraint',
                    name='right',
                ),
                migrations.RemoveField(
                    model_name='mergeproposal',
                    name='left',
                ),
                migrations.RemoveField(
                    model_name='mergeproposal',
                    name='right',
                ),
                migrations.RemoveField(
                    model_name='mergeproposal',
                    name='run',
                ),
                migrations.RemoveField(
                    model_name='pairconstraint',
                    name='proposal',
                ),
                migrations.RemoveField(
                    model_name='pairconstraint',
                    name='left',
                ),
                migrations.RemoveField(
                    model_name='pairconstraint',
                    name='right',
                ),
                migrations.DeleteModel(
                    name='HistoricalMergeProposal',
                ),
                migrations.DeleteModel(
                    name='HistoricalPairConstraint',
                ),
                migrations.DeleteModel(
                    name='MergeProposal',
                ),
                migrations.DeleteModel(
                    name='PairConstraint',
                ),
            ],
        ),
    ]
