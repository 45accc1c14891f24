# The work around a case (claims, deferrals, first approvals, comments) is core data now
# (mdm.models.cases), so the API applies the four-eyes rule through the same services as
# the web app: the tables take the core's names here, the next migrations move the models.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("stewardship", "0006_four_eyes"),
    ]

    operations = [
        migrations.AlterModelTable(name="casetask", table="mdm_casetask"),
        migrations.AlterModelTable(name="casecomment", table="mdm_casecomment"),
    ]
