"""The OpenAPI schema: every operation documents the one error shape for each 4xx it can answer."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

ERROR_STATUSES = ("400", "401", "403", "404", "405", "406", "413", "415", "422", "429")


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="stable code from docs/errors.md")
    message = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="problems per field (a dotted path into the body, or a record's position)",
    )


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            for status in ERROR_STATUSES:
                if status not in responses:
                    responses[status] = self._get_response_for_code(ErrorSerializer, status, direction=direction)
        return responses
