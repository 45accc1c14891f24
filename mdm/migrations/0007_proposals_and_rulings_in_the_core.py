# Merge proposals and steward rulings become core data (mdm.models.proposals), so the
# services that decide them live in the core where every face can call them. The tables
# were renamed by stewardship 0003; this creates the models in the core's state only, and
# moves their content types (and so their permissions) along.

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    models = ["mergeproposal", "historicalmergeproposal", "pairconstraint", "historicalpairconstraint"]
    ContentType.objects.filter(app_label="stewardship", model__in=models).update(app_label="mdm")


def return_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    models = ["mergeproposal", "historicalmergeproposal", "pairconstraint", "historicalpairconstraint"]
    ContentType.objects.filter(app_label="mdm", model__in=models).update(app_label="stewardship")


class Migration(migrations.Migration):

    dependencies = [
        ("mdm", "0006_source_record_one_membership_index"),
        ("stewardship", "0003_tables_move_to_mdm"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HistoricalMergeProposal',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('history_actor', models.CharField(max_length=150)),
                        ('history_operation', models.UUIDField(db_index=True)),
                        ('domain', models.CharField(max_length=40)),
                        ('weight', models.FloatField()),
                        ('probability', models.FloatField()),
                        ('evidence', models.JSONField(default=list)),
                        ('kind', models.CharField(choices=[('review', 'Review'), ('held', 'Held')], default='review', max_length=8)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('decided', 'Decided'), ('superseded', 'Superseded')], default='pending', max_length=12)),
                        ('decision', models.CharField(blank=True, choices=[('approve', 'Approve'), ('reject', 'Reject')], max_length=10)),
                        ('reason', models.TextField(blank=True)),
                        ('decided_by', models.CharField(blank=True, max_length=150)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField()),
                        ('updated_at', models.DateTimeField()),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('left', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='mdm.sourcerecord')),
                        ('right', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='mdm.sourcerecord')),
                        ('run', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='mdm.matchrun')),
                    ],
                    options={
                        'verbose_name': 'historical merge proposal',
                        'verbose_name_plural': 'historical merge proposals',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='MergeProposal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('domain', models.CharField(max_length=40)),
                        ('weight', models.FloatField()),
                        ('probability', models.FloatField()),
                        ('evidence', models.JSONField(default=list)),
                        ('kind', models.CharField(choices=[('review', 'Review'), ('held', 'Held')], default='review', max_length=8)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('decided', 'Decided'), ('superseded', 'Superseded')], default='pending', max_length=12)),
                        ('decision', models.CharField(blank=True, choices=[('approve', 'Approve'), ('reject', 'Reject')], max_length=10)),
                        ('reason', models.TextField(blank=True)),
                        ('decided_by', models.CharField(blank=True, max_length=150)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField()),
                        ('updated_at', models.DateTimeField()),
                        ('left', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='mdm.sourcerecord')),
                        ('right', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='mdm.sourcerecord')),
                        ('run', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='mdm.matchrun')),
                    ],
                    options={
                        'ordering': ['-weight', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalPairConstraint',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('history_actor', models.CharField(max_length=150)),
                        ('history_operation', models.UUIDField(db_index=True)),
                        ('domain', models.CharField(max_length=40)),
                        ('kind', models.CharField(choices=[('must_link', 'Must Link'), ('cannot_link', 'Cannot Link')], max_length=12)),
                        ('reason', models.TextField(blank=True)),
                        ('created_by', models.CharField(max_length=150)),
                        ('created_at', models.DateTimeField()),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('left', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='mdm.sourcerecord')),
                        ('right', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='mdm.sourcerecord')),
                        ('proposal', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='mdm.mergeproposal')),
                    ],
                    options={
                        'verbose_name': 'historical pair constraint',
                        'verbose_name_plural': 'historical pair constraints',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='PairConstraint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('domain', models.CharField(max_length=40)),
                        ('kind', models.CharField(choices=[('must_link', 'Must Link'), ('cannot_link', 'Cannot Link')], max_length=12)),
                        ('reason', models.TextField(blank=True)),
                        ('created_by', models.CharField(max_length=150)),
                        ('created_at', models.DateTimeField()),
                        ('left', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='mdm.sourcerecord')),
                        ('proposal', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='constraints', to='mdm.mergeproposal')),
                        ('right', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='mdm.sourcerecord')),
                    ],
                    options={
                        'ordering': ['id'],
                    },
                ),
                migrations.AddIndex(
                    model_name='mergeproposal',
                    index=models.Index(fields=['domain', 'status'], name='proposal_domain_status'),
                ),
                migrations.AddConstraint(
                    model_name='mergeproposal',
                    constraint=models.UniqueConstraint(fields=('left', 'right'), name='proposal_pair_unique'),
                ),
                migrations.AddConstraint(
                    model_name='mergeproposal',
                    constraint=models.CheckConstraint(condition=models.Q(('left__lt', models.F('right'))), name='proposal_pair_ordered'),
                ),
                migrations.AddIndex(
                    model_name='pairconstraint',
                    index=models.Index(fields=['domain', 'kind'], name='pair_constraint_domain_kind'),
                ),
                migrations.AddConstraint(
                    model_name='pairconstraint',
                    constraint=models.UniqueConstraint(fields=('left', 'right'), name='pair_constraint_unique'),
                ),
                migrations.AddConstraint(
                    model_name='pairconstraint',
                    constraint=models.CheckConstraint(condition=models.Q(('left__lt', models.F('right'))), name='pair_constraint_ordered'),
                ),
            ],
        ),
        migrations.RunPython(move_content_types, return_content_types),
    ]
