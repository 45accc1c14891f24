"""Read-only admin pages; decisions go through stewardship.services."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from mdm.admin import ReadOnly
from stewardship.models import MergeProposal, PairConstraint


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
