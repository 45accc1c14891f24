# The work around a case (claims, deferrals, first approvals, comments) becomes core data
# (mdm.models.cases), so every face calls the same steward services. The tables were renamed
# by stewardship 0007; this creates the models in the core's state only, and moves their
# content types (and so their permissions) along.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ["casetask", "casecomment"]


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="stewardship", model__in=MODELS).update(app_label="mdm")


def return_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="mdm", model__in=MODELS).update(app_label="stewardship")


class Migration(migrations.Migration):

    dependencies = [
        ("mdm", "0016_declarations_in_force"),
        ("stewardship", "0007_case_work_tables_move_to_mdm"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CaseComment",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("text", models.TextField()),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("author", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                     to=settings.AUTH_USER_MODEL)),
                        ("proposal", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                       related_name="comments", to="mdm.mergeproposal")),
                    ],
                    options={"ordering": ["created_at", "id"]},
                ),
                migrations.CreateModel(
                    name="CaseTask",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("deferred_until", models.DateTimeField(blank=True, null=True)),
                        ("first_approved_at", models.DateTimeField(blank=True, null=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("assignee", models.ForeignKey(blank=True, null=True,
                                                       on_delete=django.db.models.deletion.SET_NULL,
                                                       related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("first_approved_by", models.ForeignKey(blank=True, null=True,
                                                                on_delete=django.db.models.deletion.SET_NULL,
                                                                related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("proposal", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE,
                                                          related_name="task", to="mdm.mergeproposal")),
                    ],
                ),
            ],
        ),
        migrations.RunPython(move_content_types, return_content_types),
    ]
