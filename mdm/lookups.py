"""`field__among=values`: the field is one of many values, sent as one parameter.

`__in` writes one placeholder per value; a batch's 2,000 keys then cost more to build and
send than to look up. `__among` sends them as one array (PostgreSQL: `= ANY(%s)`) or one
JSON text (SQLite: `IN (SELECT value FROM json_each(%s))`), and the key index serves both.
"""

from __future__ import annotations

import json

from django.db import models
from django.db.models import Lookup


@models.CharField.register_lookup
class Among(Lookup):
    lookup_name = "among"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        values = [str(v) for v in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*params, values]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*params, json.dumps(values)]
