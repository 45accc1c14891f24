"""Read-only admin pages for browsing the hub; every change goes through mdm.services."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from mdm.access import Action, can
from mdm.models import (
    ChangeEvent,
    GoldenRecord,
    ImportReject,
    ImportRun,
    MatchModel,
    MatchRun,
    MergeProposal,
    PairConstraint,
    SourceRecord,
    SourceSystem,
)


class ReadOnly:
    """Read-only pages of the hub's records, for auditors and admins only (a staff user
    without a grant sees no record names: mdm.access)."""

    def has_view_permission(self, request, obj=None):
        return can(request.user, Action.AUDIT)

    def has_module_permission(self, request):
        return can(request.user, Action.AUDIT)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SourceSystem)
class SourceSystemAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["code", "name", "created_at"]
    search_fields = ["code", "name"]


@admin.register(SourceRecord)
class SourceRecordAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["source_key", "domain", "system", "name", "version", "is_deleted", "golden", "updated_at"]
    list_filter = ["domain", "system", "is_deleted"]
    search_fields = ["source_key"]
    list_select_related = ["system", "golden"]
    history_list_display = ["version", "is_deleted", "history_actor"]

    @admin.display(description="name")
    def name(self, obj):
        return obj.attributes.get("name", "")


@admin.register(GoldenRecord)
class GoldenRecordAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["golden_id", "domain", "name", "status", "successor", "version", "updated_at"]
    list_filter = ["domain", "status"]
    search_fields = ["golden_id"]
    list_select_related = ["successor"]
    history_list_display = ["version", "status", "history_actor"]

    @admin.display(description="name")
    def name(self, obj):
        return obj.attributes.get("name", "")


@admin.register(MatchModel)
class MatchModelAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["domain", "version", "is_active", "labels", "thresholds", "created_by", "created_at"]
    list_filter = ["domain", "is_active"]
    exclude = ["artifact"]


@admin.register(MatchRun)
class MatchRunAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["id", "domain", "model", "status", "thresholds", "started_at", "finished_at"]
    list_filter = ["domain", "status"]


class ImportRejectInline(ReadOnly, admin.TabularInline):
    model = ImportReject
    fields = ["row_number", "source_key", "reason", "raw"]
    readonly_fields = fields


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "id", "system", "profile", "status", "read", "inserted", "updated", "unchanged",
        "deleted", "rejected", "started_at",
    ]
    list_filter = ["status", "system", "domain"]
    inlines = [ImportRejectInline]


@admin.register(ChangeEvent)
class ChangeEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "sequence", "kind", "domain", "golden_id", "system_code", "source_key", "record_version", "created_at",
    ]
    list_filter = ["kind", "domain", "system_code"]
    search_fields = ["golden_id", "source_key"]


@admin.register(MergeProposal)
class MergeProposalAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["id", "domain", "left", "right", "weight", "status", "decision", "decided_by", "updated_at"]
    list_filter = ["domain", "status", "decision"]
    list_select_related = ["left", "right"]
    history_list_display = ["status", "decision", "history_actor"]


@admin.register(PairConstraint)
class PairConstraintAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["id", "domain", "kind", "left", "right", "created_by", "created_at"]
    list_filter = ["domain", "kind"]
    list_select_related = ["left", "right"]
