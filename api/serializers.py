"""What the API reads and writes. Read-only fields only come from the hub: a payload can
set a record's attributes and key, never a golden ID, a status, a system or history."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from mdm.models import ChangeEvent


class XrefSerializer(serializers.Serializer):
    domain = serializers.CharField()
    system = serializers.CharField()
    source_key = serializers.CharField()
    found = serializers.BooleanField()
    deleted = serializers.BooleanField(allow_null=True)
    record_version = serializers.IntegerField(allow_null=True)
    golden_id = serializers.CharField(allow_null=True, help_text="null: not matched yet, deleted, or not found")
    golden_status = serializers.CharField(allow_null=True)


class XrefKeySerializer(serializers.Serializer):
    system = serializers.CharField(max_length=40)
    source_key = serializers.CharField(max_length=200)


class XrefLookupSerializer(serializers.Serializer):
    keys = serializers.ListField(child=XrefKeySerializer(), min_length=1, max_length=1000)


class XrefLookupResultSerializer(serializers.Serializer):
    results = XrefSerializer(many=True)


class GoldenKeysSerializer(serializers.Serializer):
    domain = serializers.CharField()
    golden_id = serializers.CharField(help_text="the active golden ID (the successor of a retired one)")
    requested_id = serializers.CharField(help_text="the golden ID asked for")
    retired = serializers.BooleanField(help_text="true: requested_id was merged into golden_id")
    status = serializers.CharField()
    keys = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                 help_text="live source keys per system code")


class AttributeValueSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    value = serializers.JSONField(allow_null=True)
    masked = serializers.BooleanField()
    system = serializers.CharField(allow_null=True, help_text="the system of the member it came from (null: override)")
    source_key = serializers.CharField(allow_null=True)
    field = serializers.CharField(allow_null=True)
    override = serializers.BooleanField()


class MemberSerializer(serializers.Serializer):
    system = serializers.CharField()
    source_key = serializers.CharField()
    version = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class GoldenSummarySerializer(serializers.Serializer):
    golden_id = serializers.CharField()
    domain = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    attributes = serializers.DictField(child=serializers.JSONField(allow_null=True))
    updated_at = serializers.DateTimeField()


class GoldenDetailSerializer(GoldenSummarySerializer):
    requested_id = serializers.CharField()
    retired = serializers.BooleanField()
    successor = serializers.CharField(allow_null=True)
    values = AttributeValueSerializer(many=True)
    members = MemberSerializer(many=True)
    created_at = serializers.DateTimeField()


class RecordInSerializer(serializers.Serializer):
    source_key = serializers.CharField(max_length=200)
    attributes = serializers.DictField(child=serializers.JSONField(allow_null=True), allow_empty=False)


class RecordPutSerializer(serializers.Serializer):
    attributes = serializers.DictField(child=serializers.JSONField(allow_null=True), allow_empty=False)


class RecordBatchSerializer(serializers.Serializer):
    records = serializers.ListField(child=RecordInSerializer(), min_length=1)

    def validate_records(self, value):
        limit = settings.MDM_API_MAX_BATCH
        if len(value) > limit:
            raise serializers.ValidationError(f"at most {limit} records per request (MDM_API_MAX_BATCH)")
        return value


class ProposalOutSerializer(serializers.Serializer):
    golden_id = serializers.CharField()
    proposal = serializers.IntegerField(allow_null=True)
    weight = serializers.FloatField()


class RecordOutcomeSerializer(serializers.Serializer):
    source_key = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["inserted", "updated", "unchanged", "deleted"])
    golden_id = serializers.CharField(allow_null=True)
    match = serializers.CharField(allow_null=True,
                                  help_text="attach, create, propose, keep, skip; null: not matched now")
    weight = serializers.FloatField(allow_null=True)
    proposals = ProposalOutSerializer(many=True)
    issues = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class RecordBatchResultSerializer(serializers.Serializer):
    records = RecordOutcomeSerializer(many=True)
    waiting = serializers.CharField(allow_blank=True,
                                    help_text="why records wait for a batch run (no_model, too_many, failed)")


class SourceRecordSerializer(serializers.Serializer):
    domain = serializers.CharField()
    system = serializers.CharField()
    source_key = serializers.CharField()
    version = serializers.IntegerField()
    deleted = serializers.BooleanField()
    golden_id = serializers.CharField(allow_null=True)
    raw = serializers.JSONField()
    attributes = serializers.DictField(child=serializers.JSONField(allow_null=True))
    issues = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    received_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SearchInSerializer(serializers.Serializer):
    attributes = serializers.DictField(child=serializers.JSONField(allow_null=True), allow_empty=False)
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class EvidenceSerializer(serializers.Serializer):
    comparison = serializers.CharField()
    level = serializers.CharField()
    weight = serializers.FloatField()


class SearchMatchSerializer(serializers.Serializer):
    golden_id = serializers.CharField()
    weight = serializers.FloatField()
    probability = serializers.FloatField(help_text="the model's own, uncalibrated (a case's proposals show the "
                                                   "calibrated one)")
    band = serializers.CharField()
    prior_weight = serializers.FloatField()
    evidence = EvidenceSerializer(many=True)
    matched_record = serializers.CharField(help_text="system:key of the best matching member")
    attributes = serializers.DictField(child=serializers.JSONField(allow_null=True))


class SearchResultSerializer(serializers.Serializer):
    matches = SearchMatchSerializer(many=True)


class ChangeEventSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    event_id = serializers.CharField(help_text="stable: for de-duplication by consumers")
    kind = serializers.ChoiceField(choices=ChangeEvent.Kind.choices)
    domain = serializers.CharField()
    golden_id = serializers.CharField(allow_blank=True)
    golden_version = serializers.IntegerField(allow_null=True)
    system = serializers.CharField(allow_blank=True)
    source_key = serializers.CharField(allow_blank=True)
    record_version = serializers.IntegerField(allow_null=True)
    payload = serializers.DictField(child=serializers.JSONField(allow_null=True))
    actor = serializers.CharField()
    created_at = serializers.DateTimeField()


class ChangePageSerializer(serializers.Serializer):
    events = ChangeEventSerializer(many=True)
    last_sequence = serializers.IntegerField(help_text="pass as `after` for the next page")
    has_more = serializers.BooleanField()
