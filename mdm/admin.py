"""Read-only admin pages for browsing the hub; every change goes through mdm.services."""

from django.contrib import admin
from django.http import HttpResponseNotAllowed
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from mdm.access import Action, can, visible_systems
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


def _reads_every_record(user) -> bool:
    """Auditors and admins of no department: these pages show every record (an auditor of a
    department reads its systems' records in the auditors' pages, which apply it)."""
    return can(user, Action.AUDIT) and visible_systems(user) is None


class ReadOnly:
    """Read-only pages of the hub's records, for auditors and admins only (a staff user
    without a grant sees no record names: mdm.access)."""

    def has_view_permission(self, request, obj=None):
        return _reads_every_record(request.user)

    def has_module_permission(self, request):
        return _reads_every_record(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _Changes(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change, value):
        # An empty reference (a record not yet in any golden record) is "—", not a deleted object.
        if isinstance(value, DeletedObject) and value.pk is None:
            return "—"
        return super().prepare_delta_change_value(change, value)


class HistoryAdmin(ReadOnly, SimpleHistoryAdmin):
    """History pages that read as an audit trail: the actor when no person acted, empty
    references as "—", and past versions shown read-only (nothing there can be posted)."""

    object_history_list_template = "mdm/admin/history_list.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return _Changes(self.model, historical_record)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(SourceSystem)
class SourceSystemAdmin(HistoryAdmin):
    list_display = ["code", "name", "created_at"]
    search_fields = ["code", "name"]


@admin.register(SourceRecord)
class SourceRecordAdmin(HistoryAdmin):
    list_display = ["source_key", "domain", "system", "name", "version", "is_deleted", "golden", "updated_at"]
    list_filter = ["domain", "system", "is_deleted"]
    search_fields = ["source_key"]
    list_select_related = ["system", "golden"]
    history_list_display = ["version", "is_deleted", "history_actor"]

    @admin.display(description="name")
    def name(self, obj):
        return obj.attributes.get("name", "")


@admin.register(GoldenRecord)
class GoldenRecordAdmin(HistoryAdmin):
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
        "sequence", "kind", "domain", "golden_id", "system_code", "source_key", "record_version", "actor",
        "created_at",
    ]
    list_filter = ["kind", "domain", "system_code", "created_at"]
    search_fields = ["golden_id", "source_key", "actor", "=operation"]
    date_hierarchy = "created_at"


@admin.register(MergeProposal)
class MergeProposalAdmin(HistoryAdmin):
    list_display = ["id", "domain", "left", "right", "weight", "status", "decision", "decided_by", "updated_at"]
    list_filter = ["domain", "status", "decision"]
    list_select_related = ["left", "right"]
    history_list_display = ["status", "decision", "history_actor"]


@admin.register(PairConstraint)
class PairConstraintAdmin(HistoryAdmin):
    list_display = ["id", "domain", "kind", "left", "right", "created_by", "created_at"]
    list_filter = ["domain", "kind"]
    list_select_related = ["left", "right"]
