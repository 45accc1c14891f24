# Merge proposals and steward rulings are core data now (mdm.models.proposals): their
# tables take the core's names here, and the next migrations move the models themselves.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("stewardship", "0002_proposal_kind"),
    ]

    operations = [
        migrations.AlterModelTable(name="mergeproposal", table="mdm_mergeproposal"),
        migrations.AlterModelTable(name="historicalmergeproposal", table="mdm_historicalmergeproposal"),
        migrations.AlterModelTable(name="pairconstraint", table="mdm_pairconstraint"),
        migrations.AlterModelTable(name="historicalpairconstraint", table="mdm_historicalpairconstraint"),
    ]
