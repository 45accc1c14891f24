import django_filters

from mdm.models import GoldenRecord


class GoldenRecordFilter(django_filters.FilterSet):
    """Filters of the golden-record list: status, last change, a member system."""

    status = django_filters.ChoiceFilter(choices=GoldenRecord.Status.choices)
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    system = django_filters.CharFilter(method="with_member_of", help_text="has a live member from this system code")

    class Meta:
        model = GoldenRecord
        fields = ["status", "updated_after", "updated_before", "system"]

    def with_member_of(self, queryset, name, value):
        return queryset.filter(members__system__code=value, members__is_deleted=False).distinct()
