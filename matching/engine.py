"""The matching engine: the only module that imports Splink.

Plain rows in (dicts, a pandas DataFrame, a pyarrow Table or a feature table holding
``unique_id``, ``source_system`` and the standardized attributes of one domain), results
out: trained models (matching.artifact), scored pairs with per-comparison evidence
(matching.scoring). No ORM, no writes: services elsewhere persist what this returns.

    model = train("customer", rows)                   # TrainedModel, model.report
    model = refine_with_labels(model, rows, labels)   # steward decisions -> m values
    check_blocking(model, rows, cap=...)              # raises BlockingTooLarge
    pairs = predict(model, rows, threshold=...)       # list[Pair], evidence included

Model design, per domain, lives in matching/declarations; derived columns in
matching/features; clustering of the pairs in matching.clustering.

Backends: everything specific to one SQL engine (the database API, how a condition of the
declaration vocabulary becomes a Splink level, blocking-rule counting) is in the
"backend" section below. DuckDB runs in-process; Spark gets the same model because
settings are rebuilt from the declaration and the stored parameters for the backend in use.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from matching import declarations as m
from matching.artifact import TrainedModel, declaration_to_dict, level_weight, parameter_table
from matching.scoring import Evidence, Pair, damerau_levenshtein, jaro_winkler, probability, probability_weight
from matching.tables import feature_table, is_feature_table, item_counts, with_items
from mdm.domains import get_domain
from mdm.errors import BackendUnavailable, BlockingTooLarge, DeclarationError

logger = logging.getLogger(__name__)

DEFAULT_BLOCKING_CAP = 20_000_000  # comparisons one blocking rule may generate
DEFAULT_U_MAX_PAIRS = 2_000_000
U_SLICE_PAIRS = 250_000  # random pairs scored at once when u is re-estimated without matches
MSG_BLOCKING_TOO_LARGE = (
    "blocking rule {rule!r} would generate {count:,} comparisons (cap {cap:,}); "
    "largest blocks: {blocks}. Tighten the rule, clean the dominant values or raise the cap."
)
MSG_MODEL_MISMATCH = "model was trained for {trained!r}, declaration is {declared!r}: retrain"


def blocking_too_large(rule: str, count: int, cap: int, blocks: list[tuple[str, int]]) -> BlockingTooLarge:
    shown = ", ".join(f"{value} ({size:,} records)" for value, size in blocks) or "none"
    return BlockingTooLarge(MSG_BLOCKING_TOO_LARGE.format(rule=rule, count=count, cap=cap, blocks=shown),
                            rule=rule, count=count, cap=cap, blocks=blocks)


# ---------------------------------------------------------------------------
# Backend: everything SQL-engine specific is here. DuckDB runs in-process (the default);
# Spark (optional: requirements-spark.txt) runs the same model, with the same stored
# parameters, on a cluster or in local mode, and gives the same levels, weights and so
# clusters (matching/tests/test_spark.py compares them on every fixture domain).
# ---------------------------------------------------------------------------

BACKENDS = ("duckdb", "spark")
MSG_UNKNOWN_BACKEND = "unknown matching backend {backend!r}: use one of {choices}"
MSG_NO_PYSPARK = "the Spark matching backend needs pyspark: pip install -r requirements-spark.txt"

# What differs between the engines, in one place. `dialect` is Splink's dialect of the
# SQL written below; `date_format` is the engine's pattern for dates stored as text, for
# a date condition (none is declared yet): DuckDB takes strftime codes, Spark its own.
_DIALECT = {
    "duckdb": {"dialect": "duckdb", "quote": '"', "date_format": "%Y%m%d"},
    "spark": {"dialect": "spark", "quote": "`", "date_format": "yyyyMMdd"},
}

# Spark settings that decide results, set on every session the engine uses (the others,
# master, memory, executors, are Spark's own configuration: spark-defaults.conf,
# PYSPARK_SUBMIT_ARGS, or the `conf` of `spark_session`).
SPARK_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",  # errors, not silent NULLs, on bad casts and overflow
    "spark.sql.legacy.sizeOfNull": "false",  # size(NULL) is NULL, as in DuckDB (Subset, Overlap)
}
# Added when the engine starts Spark in local mode (one machine): a few shuffle
# partitions instead of 200, no web UI or progress bars.
SPARK_LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
# For small inputs (the test suite: a few hundred records): one partition, no adaptive
# re-planning, and the JVM's quick compiler only. Each of these costs time on real data.
SPARK_TEST_CONF = {
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}
# Spark has no Jaro-Winkler or Damerau-Levenshtein of its own, and the ones of Splink's
# jar differ from DuckDB's: its Jaro-Winkler (Apache Commons Text) counts half a
# transposition where DuckDB rounds down and boosts a Jaro similarity of exactly 0.7,
# both work on UTF-16 units instead of characters, and both return a value (0.0, 100.0)
# instead of NULL for a missing side. The levels use these instead: the reference
# implementations of the pure-Python scorer, equal to DuckDB's, as Spark UDFs.
SPARK_JARO_WINKLER = "mdm_jaro_winkler"
SPARK_DAMERAU = "mdm_damerau_levenshtein"


def spark_session(*, master: str | None = None, conf: Mapping[str, str] | None = None) -> Any:
    """The Spark session the engine uses: the active one, or a new one with Splink's
    similarity jar. `master` ("local[2]", "spark://host:7077"; default: Spark's own
    configuration, else local) and `conf` apply when a session is created; the settings
    that decide results (SPARK_CONF) are applied to whichever session is used, and the
    engine's functions registered on it. Raises BackendUnavailable without pyspark."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise BackendUnavailable(MSG_NO_PYSPARK) from None
    spark = SparkSession.getActiveSession()
    if spark is None:
        import os
        import sys

        from splink.backends.spark import similarity_jar_location

        # Python workers run the driver's interpreter unless Spark is told otherwise.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = SparkSession.builder.appName("mdm-matching")
        settings = dict(SPARK_CONF)
        if master is not None:
            builder = builder.master(master)
            if master.startswith("local"):
                settings.update(SPARK_LOCAL_CONF)
        settings.update(conf or {})
        jars = [j for j in settings.get("spark.jars", "").split(",") if j]
        settings["spark.jars"] = ",".join([similarity_jar_location(), *jars])
        for key, value in settings.items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
    for key, value in SPARK_CONF.items():
        if spark.conf.get(key, None) != value:
            spark.conf.set(key, value)
    _register_spark_functions(spark)
    return spark


def _register_spark_functions(spark: Any) -> None:
    import sys

    from pyspark import cloudpickle
    from pyspark.sql.functions import udf
    from pyspark.sql.types import DoubleType, LongType

    # Shipped by value: executors need pyspark and pyarrow, not this project.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    cloudpickle.register_pickle_by_value(sys.modules[jaro_winkler.__module__])
    for name, function, kind in ((SPARK_JARO_WINKLER, jaro_winkler, DoubleType()),
                                 (SPARK_DAMERAU, damerau_levenshtein, LongType())):
        spark.udf.register(name, udf(_null_safe(function), kind, useArrow=True))


def _null_safe(function: Callable[[str, str], Any]) -> Callable[[str | None, str | None], Any]:
    def call(left: str | None, right: str | None) -> Any:
        return None if left is None or right is None else function(left, right)

    return call


# DuckDB's own settings for every connection the engine opens (the Django app sets them
# from MDM_DUCKDB_MEMORY_LIMIT): a memory limit, past which it spills to temp_directory,
# instead of its default of most of the machine's memory.
DUCKDB_CONFIG: dict[str, str] = {}


def release_memory() -> None:
    """Give back to the system the heap memory freed since the last call. glibc keeps what
    a thread frees in that thread's arena: after a large predict, DuckDB's threads leave
    hundreds of megabytes there, which the rest of a run would sit on top of."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: its allocator decides
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _db_api(backend: str = "duckdb", **options: Any) -> Any:
    if backend == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        if DUCKDB_CONFIG and "connection" not in options:
            if "temp_directory" in DUCKDB_CONFIG:
                Path(DUCKDB_CONFIG["temp_directory"]).mkdir(parents=True, exist_ok=True)
            options["connection"] = duckdb.connect(config=dict(DUCKDB_CONFIG))
        return DuckDBAPI(**options)
    if backend == "spark":
        spark = options.pop("spark_session", None) or spark_session()
        try:
            from splink.backends.spark import SparkAPI
        except ImportError:  # pragma: no cover - spark_session raised already
            raise BackendUnavailable(MSG_NO_PYSPARK) from None

        # Intermediate tables: written as Parquet where the session has a checkpoint
        # directory (spark.checkpoint.dir: a cluster), else cached (local mode).
        has_checkpoint_dir = spark.sparkContext.getCheckpointDir() is not None
        options.setdefault("break_lineage_method", "parquet" if has_checkpoint_dir else "persist")
        return SparkAPI(spark_session=spark, **options)
    raise BackendUnavailable(MSG_UNKNOWN_BACKEND.format(backend=backend, choices=", ".join(BACKENDS)))


def _level_creator(cond: m.Condition | None, backend: str = "duckdb") -> Any:
    import splink.comparison_level_library as cll

    dialect = _DIALECT[backend]
    q = dialect["quote"]

    def custom(sql: str) -> Any:
        return cll.CustomLevel(sql, base_dialect_str=dialect["dialect"])

    def side(c: str, s: str) -> str:
        return f"{q}{c}_{s}{q}"

    def spark_udf(function: str, c: str, test: str) -> Any:  # NULL when a side is, as in DuckDB
        return custom(f"CASE WHEN {side(c, 'l')} IS NOT NULL AND {side(c, 'r')} IS NOT NULL "
                      f"THEN {function}({side(c, 'l')}, {side(c, 'r')}) {test} END")

    if cond is None:
        return cll.ElseLevel()
    match cond:
        case m.Exact(column=c):
            return cll.ExactMatchLevel(c)
        case m.Differ(column=c):
            return cll.Not(cll.ExactMatchLevel(c))
        case m.Null(column=c):
            return cll.NullLevel(c)
        case m.BothNull(column=c):
            return custom(f"{side(c, 'l')} IS NULL AND {side(c, 'r')} IS NULL")
        case m.JaroWinkler(column=c, threshold=t):
            if backend == "spark":
                return spark_udf(SPARK_JARO_WINKLER, c, f">= {t}")
            return cll.JaroWinklerLevel(c, t)
        case m.Damerau(column=c, distance=n):
            if backend == "spark":
                return spark_udf(SPARK_DAMERAU, c, f"<= {n}")
            return cll.DamerauLevenshteinLevel(c, n)
        case m.Overlap(column=c, size=n):
            return cll.ArrayIntersectLevel(c, n)
        case m.Subset(column=c):
            return cll.ArraySubsetLevel(c)
        case m.EitherTrue(column=c):
            return custom(f"{side(c, 'l')} OR {side(c, 'r')}")
        case m.EitherFalse(column=c):
            return custom(f"{side(c, 'l')} = FALSE OR {side(c, 'r')} = FALSE")
        case m.AtLeast(column=c, size=n):
            return custom(f"{side(c, 'l')} >= {int(n)} AND {side(c, 'r')} >= {int(n)}")
        case m.All(parts=parts):
            return cll.And(*(_level_creator(p, backend) for p in parts))
        case m.Any(parts=parts):
            return cll.Or(*(_level_creator(p, backend) for p in parts))
        case m.Not(part=p):
            return cll.Not(_level_creator(p, backend))
    raise DeclarationError(f"unsupported condition {cond!r}")


def _splink_settings(model: m.DomainModel, parameters: list[list[dict[str, Any]]] | None, prior: float | None,
                     backend: str = "duckdb", columns: Iterable[str] = ()) -> Any:
    """Splink settings for the declaration on `backend`; with `parameters`, every m and u
    fixed to them. `columns`: the input table's (its shared-key flags)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator

    comparisons = []
    for ci, comp in enumerate(model.comparisons):
        levels = []
        for li, level in enumerate(comp.levels):
            creator = _level_creator(level.condition, backend)
            options: dict[str, Any] = {"label_for_charts": level.label}
            if level.null:
                options["is_null_level"] = True
            else:
                if level.tf:
                    options.update(tf_adjustment_column=level.tf, tf_adjustment_weight=1.0)
                if parameters is not None:
                    p = parameters[ci][li]
                    options.update(m_probability=p["m"], u_probability=p["u"],
                                   fix_m_probability=True, fix_u_probability=True)
                elif level.m is not None:
                    options.update(m_probability=level.m, fix_m_probability=True)
                    if level.weight is not None:
                        options.update(u_probability=level.m / 2**level.weight, fix_u_probability=True)
            levels.append(creator.configure(**options))
        comparisons.append(
            cl.CustomComparison(output_column_name=comp.name, comparison_levels=levels,
                                comparison_description=comp.description)
        )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[_blocking_rule(cols, columns) if cols else "1=1"
                                                for cols in model.blocking.values()],
        probability_two_random_records_match=prior if prior is not None else 0.0001,
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,  # the gamma columns (which level applied) need it
        additional_columns_to_retain=["source_system"],
    )


def _linker(model: m.DomainModel, table: pa.Table, *, parameters=None, prior=None, tf_tables=None,
            backend: str = "duckdb") -> Any:
    """A Splink linker of `table` for the declaration on `backend`. Input tables get names
    of their own: linkers share one Spark session, where a table name is session-wide."""
    import uuid

    from splink import Linker

    db_api = _db_api(backend)
    run = uuid.uuid4().hex[:12]
    sdf = db_api.register(table, table_name=f"__mdm_input_{run}")
    # Splink's settings validation only logs warnings (parsing every comparison's SQL to
    # do so), which log_level ERROR hides: a training makes ten linkers
    settings = _splink_settings(model, parameters, prior, backend, table.column_names)
    linker = Linker(sdf, settings, log_level=logging.ERROR, validate_settings=False)
    for column, table_values in (tf_tables or {}).items():
        values = list(table_values.items()) or [("\x00", 0.0)]
        tf = pa.table({column: [v for v, _ in values], f"tf_{column}": [f for _, f in values]})
        tf_sdf = db_api.register(tf, table_name=f"__mdm_tf_{column}_{run}")
        linker.table_management.register_term_frequency_lookup(tf_sdf, column)
    return linker


PRIVATE_VALUE = "(personal data)"
SHARED_FLAG = "_shared__"  # a column that marks the records whose key a blocking rule leaves out


def max_block(declared: m.DomainModel) -> int:
    """The most records a blocking key may gather: a value more records share (a form's
    default id, 1900-01-01 in one postcode) tells them apart from nobody. The domain's
    `max_candidates`, the limit of real-time matching (matching.keys.candidates). Real time
    leaves out every key past it, since it scores one record against each candidate in
    Python; a batch run only once a rule would pass its comparisons cap (_over_shared),
    since a common value among ordinary records (a popular capacitor value) is still
    worth comparing where the SQL engine can."""
    return get_domain(declared.domain).matching.max_candidates


def _rules(declared: m.DomainModel) -> list[tuple[str, ...]]:
    """Every rule pairs are blocked on: prediction, EM and deterministic rules."""
    rules = [*declared.blocking.values(), *declared.em_blocking, *declared.deterministic]
    return list(dict.fromkeys(r for r in rules if r and m.RANDOM_PAIRS not in r))


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _over_shared(sizes: Mapping[Any, int], limit: int, cap: int) -> set[Any]:
    """The keys a rule leaves out: none while the rule stays within `cap` comparisons (a
    common value among ordinary records, such as a popular capacitor value, is still
    compared); past it, every key more than `limit` records share, instead of refusing the
    run."""
    if sum(n * (n - 1) // 2 for n in sizes.values()) <= cap:
        return set()
    return {k for k, n in sizes.items() if n > limit}


def with_shared_keys(declared: m.DomainModel, table: pa.Table, cap: int,
                     rules: Sequence[tuple[str, ...]] | None = None) -> pa.Table:
    """`table` with a flag column per rule whose over-shared keys it leaves out
    (_over_shared): the rule does not pair those records (_blocking_rule). `rules`: those
    to look at (every rule pairs are blocked on when None). The blocks are counted in SQL;
    only a rule that leaves keys out reads its keys into Python."""
    import duckdb

    rules = _rules(declared) if rules is None else rules
    if not rules:
        return table
    limit = max_block(declared)
    con = duckdb.connect()
    con.register("records", table)
    over = {rule: _over_shared({tuple(map(_key, r[:-1])): r[-1] for r in _block_sizes(con, rule)}, limit, cap)
            for rule in rules}
    con.close()
    for rule, keys_out in over.items():
        if keys_out:
            keys = zip(*(map(_key, table.column(c).to_pylist()) for c in rule), strict=True)
            flags = pa.array([k in keys_out for k in keys], type=pa.bool_())
            table = table.append_column(SHARED_FLAG + "__".join(rule), flags)
    return table


def _block_sizes(con: Any, columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """The blocks of a rule on the registered `records`, largest first: (key values..., records)."""
    keys = ", ".join(f'"{c}"' for c in columns)
    where = " AND ".join(f'"{c}" IS NOT NULL' for c in columns)
    return con.execute(
        f"SELECT {keys}, count(*) AS n FROM records WHERE {where} GROUP BY ALL HAVING n > 1 ORDER BY n DESC"
    ).fetchall()


def _blocking_rule(rule: tuple[str, ...], columns: Iterable[str]) -> Any:
    """A Splink blocking rule on the columns of `rule`, leaving out the records whose key
    too many share when the table flags them (with_shared_keys)."""
    from splink import block_on

    flag = SHARED_FLAG + "__".join(rule)
    if flag not in columns:
        return block_on(*rule)
    # feature columns are plain identifiers: no quoting, which differs between backends
    return " AND ".join([*(f"l.{c} = r.{c}" for c in rule), f"NOT l.{flag}"])


def blocking_counts(model: m.DomainModel, table: pa.Table, *, top: int = 5,
                    cap: int = DEFAULT_BLOCKING_CAP) -> list[dict[str, Any]]:
    """Comparisons each blocking rule generates (before deduplication across rules) and its
    largest blocks, counted with one GROUP BY per rule (no pair is generated). A key the
    rule leaves out (_over_shared) is counted in `left_out` (keys and records), not in the
    comparisons. A value of a private column (the
    current declaration's: a date of birth, a national id) is shown as PRIVATE_VALUE."""
    import duckdb

    limit = max_block(model)
    private = set(m.get_declaration(model.domain).private_columns)
    con = duckdb.connect()
    con.register("records", table)
    out = []
    for name, columns in model.blocking.items():
        rows = _block_sizes(con, columns)
        sizes = {tuple(map(_key, r[:-1])): r[-1] for r in rows}  # one entry a row: GROUP BY's keys
        over = _over_shared(sizes, limit, cap)
        kept = [r for r, k in zip(rows, sizes, strict=True) if k not in over]
        left_out = [n for k, n in sizes.items() if k in over]
        total = sum(r[-1] * (r[-1] - 1) // 2 for r in kept)
        shown = [c not in private for c in columns]
        blocks = [(" / ".join(str(v) if show else PRIVATE_VALUE for v, show in zip(r[:-1], shown, strict=True)),
                   int(r[-1])) for r in kept[:top]]
        out.append({"rule": name, "columns": list(columns), "comparisons": int(total), "largest_blocks": blocks,
                    "left_out": {"keys": len(left_out), "records": int(sum(left_out))}})
    con.close()
    return out

# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def _tf_tables(model: m.DomainModel, table: pa.Table, *, max_values: int = 100_000) -> dict[str, dict[str, float]]:
    """Term frequencies of the TF columns, counted in items, not records. A source system
    holds an item once, as a rule: the records of one system that share a value are as
    many items carrying it (five look-alikes that the text cannot tell apart), while the
    records of several systems that share it may be one item held in each. So a value
    counts the most records any one system holds with it (over all records); values no
    system holds twice are left out (no adjustment). Stored with the trained model, so
    real-time scoring adjusts by the same counts."""
    tables = {}
    total = table.num_rows
    systems = table.column("source_system").to_pylist()
    for column in model.tf_columns:
        items: Counter[Any] = Counter()
        for (_, value), n in Counter(zip(systems, table.column(column).to_pylist(), strict=True)).items():
            if value is not None and n > items[value]:
                items[value] = n
        common = [(v, n) for v, n in items.most_common(max_values) if n > 1]
        tables[column] = {v: n / total for v, n in common}
    return tables


def _read_parameters(linker: Any, model: m.DomainModel, u_floor: float) -> tuple[list[list[dict[str, Any]]], list[str]]:
    notes = []
    parameters = []
    for comp, cc in zip(model.comparisons, linker._settings_obj.comparisons, strict=True):
        levels = []
        for level, cl in zip(comp.levels, cc.comparison_levels, strict=True):
            if cl.is_null_level:
                levels.append({"m": None, "u": None})
                continue
            mp, up = cl.m_probability, cl.u_probability
            if not cl._m_is_trained and not cl._fix_m_probability:
                notes.append(f"{comp.name}: m of {level.label!r} not trained, default {mp:.3g} kept")
            unobserved = cl._u_probability in (None, "level not observed in training dataset")
            if (unobserved or up is None or up < u_floor) and not cl._fix_u_probability:
                notes.append(f"{comp.name}: u of {level.label!r} not observed, floor {u_floor:.3g} used")
                up = max(up or 0.0, u_floor)
            if not cl._fix_m_probability and (mp is None or mp < M_FLOOR):
                notes.append(f"{comp.name}: m of {level.label!r} {mp or 0:.3g} floored to {M_FLOOR}")
                mp = M_FLOOR
            levels.append({"m": float(mp), "u": float(up)})
        parameters.append(levels)
    return parameters, notes


def train(domain: str, rows: Any, *, seed: int = 1, u_max_pairs: float = DEFAULT_U_MAX_PAIRS,
          model: m.DomainModel | None = None) -> TrainedModel:
    """Train the domain's model without labels: u by random sampling, m by EM on the
    declared blocking rules, the prior from deterministic rules. Deterministic for a
    given seed and input order. `model.report` says what was estimated and how long it took.
    `rows` may be their feature_table (training builds it with the domain's feature cache)."""
    declared = model or m.get_declaration(domain)
    started = time.perf_counter()
    table = _positional_ids(rows if is_feature_table(rows) else feature_table(rows, declared))
    if any(m.RANDOM_PAIRS in rule for rule in declared.em_blocking):
        table = _with_random_buckets(table, m.RANDOM_PAIRS, u_max_pairs, seed)
    table = with_shared_keys(declared, table, DEFAULT_BLOCKING_CAP)
    tf_tables = _tf_tables(declared, table)
    table = with_items(table, item_counts(tf_tables, table.num_rows))
    linker = _linker(declared, table, tf_tables=tf_tables)
    report: dict[str, Any] = {"records": table.num_rows, "seed": seed, "notes": []}

    t0 = time.perf_counter()
    _estimate_prior(linker, declared, table.num_rows, report, table.column_names)
    report["prior_seconds"] = round(time.perf_counter() - t0, 3)

    t0 = time.perf_counter()
    pairs_possible = table.num_rows * (table.num_rows - 1) / 2
    u_pairs = min(u_max_pairs, max(pairs_possible, 1))
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    report["u_seconds"] = round(time.perf_counter() - t0, 3)

    t0 = time.perf_counter()
    report["em"] = []
    for rule in declared.em_blocking:
        _em_session(linker, rule, report, columns=table.column_names)
    for rule in _em_fallback_rules(declared, report["em"]):
        _em_session(linker, rule, report, fallback=True, columns=table.column_names)
    report["em_seconds"] = round(time.perf_counter() - t0, 3)

    prior = float(linker._settings_obj._probability_two_random_records_match)
    u_floor = 0.5 / u_pairs
    parameters, notes = _read_parameters(linker, declared, u_floor)
    t0 = time.perf_counter()
    # the prior counts the matches the model sees and u leaves them out: each depends on
    # the other, so a prior from the blocked pairs is refined with u a few times
    for _ in range(PRIOR_ROUNDS if declared.prior_from_blocks else 1):
        if declared.prior_from_blocks:
            try:
                prior = _prior_from_blocks(declared, table, parameters, prior, tf_tables, report)
            except Exception as error:  # noqa: BLE001 - the first estimate stands; training goes on
                report["fallbacks"].append(MSG_PRIOR_FROM_BLOCKS_FAILED.format(error=str(error).splitlines()[0][:200]))
        parameters = _u_without_matches(declared, table, parameters, prior, tf_tables, u_pairs, u_floor, seed)
    report["u_reestimate_seconds"] = round(time.perf_counter() - t0, 3)
    report["notes"].extend(_cap_ordered(declared, parameters))
    t0 = time.perf_counter()
    labelled = _labelled_pairs(declared, table, parameters, prior, tf_tables)
    report["fitted"] = _fit_levels(declared, labelled, parameters)
    report["separator_labels"] = _separator_bins(declared, labelled)
    report["fit_seconds"] = round(time.perf_counter() - t0, 3)
    report["notes"].extend(notes)
    report["prior"] = prior
    report["train_seconds"] = round(time.perf_counter() - started, 3)
    trained = TrainedModel(
        domain=domain,
        declaration_version=declared.version,
        declaration=declaration_to_dict(declared),
        prior=prior,
        parameters=parameters,
        tf_tables=tf_tables,
        report=report,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    trained.report["levels"] = parameter_table(trained)
    return trained


def _em_session(linker: Any, rule: tuple[str, ...], report: dict[str, Any], *, fallback: bool = False,
                columns: Iterable[str] = ()) -> None:
    """One EM session on the pairs of `rule` (u fixed), recorded in `report["em"]`.
    `columns`: the input table's (its shared-key flags)."""
    # a failed EM session leaves the linker with its own settings (the comparisons of
    # the blocking columns removed, a blocked prior): put the last good ones back
    saved = linker._settings_obj.core_model_settings.copy()
    entry: dict[str, Any] = {"rule": list(rule), **({"fallback": True} if fallback else {})}
    try:
        with em_underflow_clamped():
            session = linker.training.estimate_parameters_using_expectation_maximisation(
                _blocking_rule(rule, columns), fix_u_probabilities=True
            )
        entry["trained"] = True
        del session
    except Exception as error:  # noqa: BLE001 - a rule without pairs must not stop training
        linker._settings_obj.core_model_settings = saved
        entry["error"] = str(error).splitlines()[0][:200]
    report["em"].append(entry)


@contextlib.contextmanager
def em_underflow_clamped() -> Any:
    """Splink's EM clamped at the smallest m and u it accepts. Splink 5 refuses a value under
    1e-300 when an iteration sets it (float64 would underflow) and the whole session is lost
    with every m it was training (a product model whose spec levels kept their default m
    fell from F1 0.7 to 0.67). A level whose m is that small is one true matches never reach:
    at the floor it is the same level, and its m is floored at M_FLOOR afterwards anyway."""
    from splink.internals import expectation_maximisation as em
    from splink.internals.comparison_level import M_U_CLAMP_MIN

    original = em.populate_m_u_from_lookup

    def clamped(fixed: set[str], level: Any, column: str, lookup: dict[str, dict[int, Any]]) -> None:
        for record in lookup.get(column, {}).values():
            for key in ("m_probability", "u_probability"):
                if isinstance(record.get(key), float) and record[key] < M_U_CLAMP_MIN:
                    record[key] = M_U_CLAMP_MIN
        original(fixed, level, column, lookup)

    em.populate_m_u_from_lookup = clamped
    try:
        yield
    finally:
        em.populate_m_u_from_lookup = original


def _em_fallback_rules(declared: m.DomainModel, sessions: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """The prediction blocking rules that train the comparisons no EM session could: a
    comparison whose columns every session that found pairs was blocked on (customers
    without tax ids or phones: the exact-name session cannot train the name) would keep
    Splink's default m. The prediction rules on other comparisons' columns (the address
    within a city or postcode) hold the pairs the model scores, so they train it instead;
    a rule on a key no comparison reads (a brand's first letters) may be derived from the
    very field being trained, and would teach it that its values agree."""
    trained = [set(s["rule"]) for s in sessions if s.get("trained")]
    untrained = [c for c in declared.comparisons if c.levels and all(rule & set(c.columns()) for rule in trained)]
    rules: list[tuple[str, ...]] = []
    for comparison in untrained:
        others = {c for other in declared.comparisons if other is not comparison for c in other.columns()}
        rules += [r for r in declared.blocking.values() if r and set(r) <= others - set(comparison.columns())
                  and r not in declared.em_blocking and r not in rules]
    return rules


def _scores(linker: Any) -> Any:
    """What `linker.inference.predict()` scores, keeping of each pair only its ids, gamma
    columns, match weight and probability (the same SQL, Splink's "training mode" select):
    predict keeps both records' compared values too, which made training's own scoring of
    two million random pairs (_u_without_matches) twice as slow, for columns it never reads."""
    from splink.internals.comparison_vector_values import compute_comparison_vector_values_from_id_pairs_sqls
    from splink.internals.dialects import SplinkDialect
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.predict import predict_from_comparison_vectors_sqls
    from splink.internals.vertically_concatenate import enqueue_df_concat_with_tf

    settings = linker._settings_obj
    columns = settings.column_info_settings
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    pipeline = CTEPipeline([blocked])
    enqueue_df_concat_with_tf(linker, pipeline)
    pipeline.enqueue_list_of_sqls(compute_comparison_vector_values_from_id_pairs_sqls(
        settings._columns_to_select_for_blocking,
        settings._columns_to_select_for_comparison_vector_values,
        input_tablename_l="__splink__df_concat_with_tf",
        input_tablename_r="__splink__df_concat_with_tf",
        source_dataset_input_column=columns.source_dataset_input_column,
        unique_id_input_column=columns.unique_id_input_column,
        link_type=settings._link_type,
        sql_dialect_str=linker._sql_dialect_str,
    ))
    pipeline.enqueue_list_of_sqls(predict_from_comparison_vectors_sqls(
        unique_id_input_columns=columns.unique_id_input_columns,
        core_model_settings=settings.core_model_settings,
        sql_dialect=SplinkDialect.from_string(linker._sql_dialect_str),
        training_mode=True,
    ))
    try:
        return linker._db_api.sql_pipeline_to_splink_dataframe(pipeline)
    finally:
        blocked.drop_table_from_database_and_remove_from_cache()


MSG_PRIOR_NONE = ("prior: the deterministic rules ({rules}) found no usable estimate ({why}); {fallback}")


def _estimate_prior(linker: Any, declared: m.DomainModel, records: int, report: dict[str, Any],
                    columns: Iterable[str] = ()) -> None:
    """The prior from the declared deterministic rules; when they find nothing a prior can
    come from (no record has the column, every pair agrees), the declaration's
    `fallback_prior`, else one match per record (1 / (records - 1)), each fallback a line of
    `report["fallbacks"]`. Training never stops for the prior. `columns`: the input
    table's (a key too many records share finds no match)."""
    report.setdefault("fallbacks", [])
    rules = [_blocking_rule(r, columns) for r in declared.deterministic]
    why = "no rule declared"
    if rules:
        try:
            try:
                linker.training.estimate_probability_two_random_records_match(
                    rules, recall=declared.deterministic_recall
                )
            except ValueError as error:  # more deterministic matches than the recall allows
                report["notes"].append(f"prior: {error}; recall 1.0 used")
                linker.training.estimate_probability_two_random_records_match(rules, recall=1.0)
            prior = float(linker._settings_obj._probability_two_random_records_match)
            if 0 < prior < 1:
                return
            why = f"estimate {prior:g}"
        except (ValueError, ZeroDivisionError) as error:  # no pair at all: Splink divides by zero
            why = str(error)
    if declared.fallback_prior is not None:
        prior, fallback = declared.fallback_prior, f"the declared fallback prior {declared.fallback_prior:g} used"
    else:
        prior = min(0.5, 1 / max(records - 1, 1))
        fallback = f"one match per record assumed: prior 1/(records - 1) = {prior:.3g}"
    names = ", ".join("+".join(r) for r in declared.deterministic) or "none"
    report["fallbacks"].append(MSG_PRIOR_NONE.format(rules=names, why=why, fallback=fallback))
    linker._settings_obj._probability_two_random_records_match = prior


PRIOR_ROUNDS = 3
MSG_PRIOR_FROM_BLOCKS_FAILED = "prior from the blocked pairs failed ({error}); the first estimate kept"
MSG_PRIOR_FROM_BLOCKS = "prior from the blocked pairs: {share:.4g} of {pairs:,} pairs are matches, prior {prior:.3g}"


def _prior_from_blocks(declared: m.DomainModel, table: pa.Table, parameters: list[list[dict[str, Any]]],
                       prior: float, tf_tables: dict[str, dict[str, float]], report: dict[str, Any]) -> float:
    """The prior as the share of matches among the pairs of the prediction blocking rules
    (EM on that share alone, m and u fixed), times the share of all pairs they hold. The
    blocking rules are made to find nearly every match, so this counts the matches where
    they are, rather than scaling up what a rare deterministic rule (a barcode) finds."""
    n = table.num_rows
    total = n * (n - 1) / 2
    if total <= 0:
        return prior
    linker = _linker(declared, table, parameters=parameters, prior=prior, tf_tables=tf_tables)
    result = _scores(linker)
    weights = linker.misc.query_sql(f"SELECT match_weight FROM {result.physical_name}", output_type="pandas")
    result.drop_table_from_database_and_remove_from_cache()
    linker.table_management.delete_tables_created_by_splink_from_db()
    if weights.empty:
        report["notes"].append("prior: no blocked pairs; the first estimate kept")
        return prior
    import numpy as np

    prior_weight = probability_weight(prior)
    bayes = np.exp2(np.clip(weights["match_weight"].to_numpy(dtype=float) - prior_weight, -60, 60))
    share = 0.5
    for _ in range(100):
        updated = float(np.mean(share * bayes / (share * bayes + 1 - share)))
        if abs(updated - share) < 1e-7:
            break
        share = updated
    estimate = min(0.5, max(share * len(bayes) / total, 1 / total))
    report["notes"].append(MSG_PRIOR_FROM_BLOCKS.format(share=share, pairs=len(bayes), prior=estimate))
    return estimate


def _positional_ids(table: pa.Table) -> pa.Table:
    """`table` with each record's position for its unique_id. Splink samples the pairs u
    is estimated on by a hash of the ids, so trained on database keys the model would
    follow them: the same records loaded into a database whose sequences had moved on
    (PostgreSQL does not roll them back) trained another model and merged other pairs.
    Training returns no ids, so the ids it sees need only be unique."""
    ids = pa.array([str(i) for i in range(table.num_rows)], pa.string())
    return table.set_column(table.schema.get_field_index("unique_id"), "unique_id", ids)


def _with_random_buckets(table: pa.Table, column: str, max_pairs: float, seed: int) -> pa.Table:
    """`table` with a random bucket per record, sized so that the pairs inside buckets
    are about `max_pairs`: blocking on it gives random pairs."""
    import random

    n = table.num_rows
    buckets = max(1, round(n * (n - 1) / 2 / max_pairs))
    rng = random.Random(seed)
    return table.append_column(column, pa.array([rng.randrange(buckets) for _ in range(n)], pa.int64()))


def _u_without_matches(declared: m.DomainModel, table: pa.Table, parameters: list[list[dict[str, Any]]],
                       prior: float, tf_tables: dict[str, dict[str, float]], max_pairs: float, u_floor: float,
                       seed: int) -> list[list[dict[str, Any]]]:
    """Re-estimate u on random pairs, each counted by the model's probability that it is
    NOT a match. Splink's random sampling counts every sampled pair as a non-match, but in
    a small or duplicate-dense set the true matches among random pairs make agreement look
    common (a model trained on 400 records was 20 bits less sure of an exact tax id than
    one trained on 100,000, so no threshold carried over between them). Random pairs come
    from blocking on a random bucket sized so the buckets hold about `max_pairs` pairs;
    levels whose u the declaration sets keep it."""
    n = table.num_rows
    sampled_all = _with_random_buckets(table, "_u_bucket", max_pairs, seed)
    bucket = sampled_all.column("_u_bucket").to_pylist()
    buckets = max(bucket, default=0) + 1
    sampling = m.DomainModel(**{**declared.__dict__, "blocking": {"random pairs": ("_u_bucket",)}})
    # Predicted pairs keep every compared column of both records: scored all at once, the
    # sample held 1.3 GB at 20,000 customers. Buckets are scored a slice at a time instead
    # (a pair never leaves its bucket, so the slices hold the same pairs).
    slices = max(1, min(buckets, math.ceil(min(max_pairs, n * (n - 1) / 2) / U_SLICE_PAIRS)))
    weights: dict[tuple[int, int], float] = Counter()
    for part in range(slices):
        rows = [i for i, b in enumerate(bucket) if b % slices == part]
        if len(rows) < 2:
            continue
        sampled = sampled_all.take(rows)
        linker = _linker(sampling, sampled, parameters=parameters, prior=prior, tf_tables=tf_tables)
        result = _scores(linker)
        sql = " UNION ALL ".join(
            f"SELECT {ci} AS c, gamma_{comp.name} AS g, sum(1 - match_probability) AS w "
            f"FROM {result.physical_name} GROUP BY 2" for ci, comp in enumerate(declared.comparisons))
        for c, g, w in linker.misc.query_sql(sql, output_type="pandas").itertuples(index=False):
            weights[int(c), int(g)] += float(w)
        result.drop_table_from_database_and_remove_from_cache()
        linker.table_management.delete_tables_created_by_splink_from_db()
    out = [[dict(p) for p in levels] for levels in parameters]
    for ci, comp in enumerate(declared.comparisons):
        total = sum(w for (c, g), w in weights.items() if c == ci and g != -1)
        if total <= 0:
            continue
        gamma = sum(1 for lv in comp.levels if not lv.null) - 1  # Splink numbers the top level highest
        for li, level in enumerate(comp.levels):
            if level.null:
                continue
            if level.weight is None:
                out[ci][li]["u"] = max(weights.get((ci, gamma), 0.0) / total, u_floor)
            gamma -= 1
    return out


FIT_BOUND = 30.0  # bits: the fitted weight stays within ±this
FIT_PRIOR_PAIRS = 5  # pairs' worth of trust in the weight EM found


def _gammas(comp: m.Comparison) -> dict[int, int]:
    """Level index -> Splink's gamma value (the top level highest, the ELSE level 0)."""
    ranked = [li for li, level in enumerate(comp.levels) if not level.null]
    return {li: len(ranked) - 1 - rank for rank, li in enumerate(ranked)}


@dataclass
class _Labelled:
    """The candidate pairs the separator labels, a column each (a million pairs at 400,000
    records: objects per pair, and the fit's sums over them in Python, took a minute and
    a half): each pair's weight without the separator's evidence, whether it is one
    entity, and its level of each comparison holding fitted levels (-1: another)."""

    rest: np.ndarray
    same: np.ndarray
    levels: dict[int, np.ndarray]


def _labelled_pairs(declared: m.DomainModel, table: pa.Table, parameters: list[list[dict[str, Any]]],
                    prior: float, tf_tables: dict[str, dict[str, float]]) -> _Labelled | None:
    """Every candidate pair (the blocking rules') at a level of the separator that labels it."""
    separator = declared.separator
    names = [c.name for c in declared.comparisons]
    if separator is None or separator.comparison not in names:
        return None
    si = names.index(separator.comparison)
    sep = declared.comparisons[si]
    sep_gammas = _gammas(sep)
    label_of = {sep_gammas[li]: lv.label in separator.same for li, lv in enumerate(sep.levels)
                if lv.label in (*separator.same, *separator.different)}
    sep_weight = {sep_gammas[li]: level_weight(p["m"], p["u"]) for li, p in enumerate(parameters[si])
                  if li in sep_gammas}
    fitted = sorted({ci for ci, comp in enumerate(declared.comparisons) if any(lv.fitted for lv in comp.levels)})
    # a record without the separator's value labels none of its pairs (they are all at its
    # null level): the pairs among the others are the same pairs, scored the same (a pair's
    # weight is its two records' alone), and fewer (customers without a tax id)
    for column in _unlabelling(sep):
        table = table.filter(pc.is_valid(table.column(column)))
    linker = _linker(declared, table, parameters=parameters, prior=prior, tf_tables=tf_tables)
    result = _scores(linker)
    columns = "".join(f", gamma_{names[ci]}" for ci in fitted)
    sql = (f"SELECT match_weight, gamma_{sep.name}{columns} FROM {result.physical_name} "
           f"WHERE gamma_{sep.name} IN ({', '.join(map(str, label_of))})")
    frame = linker.misc.query_sql(sql, output_type="pandas")
    result.drop_table_from_database_and_remove_from_cache()
    sep_gamma = frame[f"gamma_{sep.name}"].astype(int)
    levels = {}
    for ci in fitted:
        level_of = {g: li for li, g in _gammas(declared.comparisons[ci]).items()}
        levels[ci] = frame[f"gamma_{names[ci]}"].astype(int).map(level_of).fillna(-1).to_numpy(dtype=int)
    return _Labelled(
        rest=frame["match_weight"].to_numpy(dtype=float) - sep_gamma.map(sep_weight).to_numpy(dtype=float),
        same=sep_gamma.map(label_of).to_numpy(dtype=bool),
        levels=levels,
    )


def _separator_bins(declared: m.DomainModel, labelled: _Labelled | None) -> list[list[float]]:
    """The pairs the separator labels by the whole bit of their weight without its evidence
    (the fitted levels' weights in): [bit, one entity, two, their mean weight], for a
    separator whose labels hold for any pair (Separator.calibrates; Calibration.labelled)."""
    if labelled is None or declared.separator is None or not declared.separator.calibrates:
        return []
    bits = np.floor(labelled.rest)
    out: list[list[float]] = []
    for bit in np.unique(bits):
        at = bits == bit
        same = int(labelled.same[at].sum())
        out.append([int(bit), same, int(at.sum()) - same, round(float(labelled.rest[at].mean()), 4)])
    return out


def _unlabelling(comp: m.Comparison) -> list[str]:
    """The columns whose value a record must have for any of its pairs to leave the
    comparison's first level when that is its null level: a Null of one of them on
    either side puts the pair there (Splink takes the first level that applies)."""
    first = comp.levels[0] if comp.levels else None
    if first is None or not first.null:
        return []
    parts = first.condition.parts if isinstance(first.condition, m.Any) else (first.condition,)
    return [part.column for part in parts if isinstance(part, m.Null)]


def _fit_levels(declared: m.DomainModel, labelled: _Labelled | None,
                parameters: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Fit the weight of each fitted level (Level.fitted) to the candidate pairs the
    separator labels: the weight w for which the model, the separator's evidence left
    out, expects as many one-entity pairs among them as there are (maximum likelihood of a
    logistic model whose only free term is w; a few pairs labelled as EM's weight would
    have them keep w finite, so a few labelled pairs move it a little). The fit only ever lowers a weight, never below
    what it finds and never to evidence for a match: it corrects for what random pairs
    cannot see (two companies of one name share their phone and domain), and labelled pairs
    at a level that other evidence fails to explain must not make a disagreement count for
    a match. Without labelled pairs: the weight EM found, at most 0. m stays as EM found
    it; u follows from w. Returns what was fitted, for the report."""
    out = []
    for ci, comp in enumerate(declared.comparisons):
        for li, level in enumerate(comp.levels):
            if not level.fitted:
                continue
            p = parameters[ci][li]
            before = level_weight(p["m"], p["u"])
            at = labelled.levels[ci] == li if labelled is not None and ci in labelled.levels else None
            pairs = 0 if at is None else int(at.sum())
            same = 0 if at is None else int(labelled.same[at].sum())
            weight = min(_fit_weight(labelled.rest[at] - before, same, before), before, 0.0) if pairs \
                else min(before, 0.0)
            p["u"] = p["m"] / 2**weight
            if pairs:
                labelled.rest[at] += weight - before
            out.append({"comparison": comp.name, "level": level.label, "weight": round(weight, 4), "same": same,
                        "different": pairs - same, "fitted": bool(pairs)})
    return out


def _fit_weight(rests: np.ndarray, same: int, before: float) -> float:
    """The w with sum(sigmoid(rest + w)) = the one-entity pairs (`same`), by bisection (the
    sum grows with w); FIT_PRIOR_PAIRS pairs at the median rest, labelled as the weight EM
    found (`before`) would have them, keep a few labelled pairs from moving it far."""
    rests = np.sort(rests)
    middle = float(rests[len(rests) // 2])
    target = same + FIT_PRIOR_PAIRS * probability(middle + before)

    def expected(w: float) -> float:
        x = rests + w  # probability() of every pair at once, as it computes it (no overflow)
        e = np.exp2(-np.abs(x))
        return float(np.where(x >= 0, 1 / (1 + e), e / (1 + e)).sum()) + FIT_PRIOR_PAIRS * probability(middle + w)

    low, high = -FIT_BOUND, FIT_BOUND
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if expected(mid) < target else (low, mid)
    return (low + high) / 2


def _cap_ordered(declared: m.DomainModel, parameters: list[list[dict[str, Any]]]) -> list[str]:
    """In an ordered comparison, raise u where a level would outweigh the level above it."""
    notes = []
    for comp, params in zip(declared.comparisons, parameters, strict=True):
        if not comp.ordered:
            continue
        above: float | None = None
        for level, p in zip(comp.levels, params, strict=True):
            if level.null:
                continue
            weight = level_weight(p["m"], p["u"])
            if above is not None and weight > above and level.weight is None:
                p["u"] = p["m"] / 2**above
                notes.append(f"{comp.name}: {level.label!r} capped at the weight of the level above ({above:+.2f})")
                weight = above
            above = weight
    return notes


M_FLOOR = 0.01  # no level is impossible for a true match: learned m values are floored


def refine_with_labels(trained: TrainedModel, rows: Any, labels: Iterable[tuple[str, str]]) -> TrainedModel:
    """Steward-approved pairs (unique_id, unique_id) refine the m values with Splink's
    `estimate_m_from_pairwise_labels`; levels fixed in the declaration keep their values,
    fitted levels (Level.fitted) the weight fitted in training.
    Rejected pairs are no evidence about m: they constrain clustering (cannot-link).
    `rows` may be their feature_table."""
    declared = trained.model
    table = with_items(rows if is_feature_table(rows) else feature_table(rows, declared), _item_counts(trained))
    linker = _linker(declared, table, parameters=None, prior=trained.prior, tf_tables=trained.tf_tables)
    _set_parameters(linker, declared, trained.parameters)
    pairs = [{"unique_id_l": str(a), "unique_id_r": str(b)} for a, b in labels]
    if not pairs:
        return trained
    labels_sdf = linker._db_api.register(pa.Table.from_pylist(pairs))
    linker.training.estimate_m_from_pairwise_labels(labels_sdf)
    parameters, notes = _read_parameters(linker, declared, 0.0)
    for ci, comp in enumerate(declared.comparisons):  # u stays as trained, a fitted level's weight too
        for li, level in enumerate(comp.levels):
            if level.fitted:
                parameters[ci][li] = dict(trained.parameters[ci][li])
            elif parameters[ci][li]["u"] is not None:
                parameters[ci][li]["u"] = trained.parameters[ci][li]["u"]
    data = json.loads(trained.to_json())
    data["parameters"] = parameters
    data["report"] = {**trained.report, "labels": len(pairs), "label_notes": notes}
    refined = TrainedModel(**data)
    refined.report["levels"] = parameter_table(refined)
    return refined


def _set_parameters(linker: Any, declared: m.DomainModel, parameters: list[list[dict[str, Any]]]) -> None:
    for comp, cc, params in zip(declared.comparisons, linker._settings_obj.comparisons, parameters, strict=True):
        for level, cl, p in zip(comp.levels, cc.comparison_levels, params, strict=True):
            if cl.is_null_level:
                continue
            cl.u_probability = p["u"]
            cl._fix_u_probability = True
            if level.m is None:
                cl.m_probability = p["m"]
            else:
                cl.m_probability = level.m
                cl._fix_m_probability = True


def check_blocking(trained: TrainedModel | str, rows: Any, *, cap: int = DEFAULT_BLOCKING_CAP) -> list[dict[str, Any]]:
    """Count the comparisons each blocking rule would generate; raise BlockingTooLarge
    naming the first rule over `cap` and its largest blocks. Returns the counts."""
    declared = trained.model if isinstance(trained, TrainedModel) else m.get_declaration(trained)
    table = feature_table(rows, declared)
    return _check_blocking(declared, table, cap)


def _check_blocking(declared: m.DomainModel, table: pa.Table, cap: int) -> list[dict[str, Any]]:
    counts = blocking_counts(declared, table, cap=cap)
    for entry in counts:
        if entry["comparisons"] > cap:
            raise blocking_too_large(entry["rule"], entry["comparisons"], cap, entry["largest_blocks"])
    return counts


def predict(trained: TrainedModel, rows: Any, *, threshold: float | None = None,
            cap: int | None = None, backend: str = "duckdb", all_pairs: bool = False,
            left_out: Callable[[list[dict[str, Any]]], None] | None = None) -> list[Pair]:
    """Score every blocked pair with a match weight ≥ `threshold` (all pairs when None).
    Refuses with BlockingTooLarge before generating pairs when a rule would explode.
    `all_pairs` scores every pair without blocking (small sets: tests, audits). `rows`
    may be their feature_table, built by a caller that reads it too. `left_out` is told
    which rules left keys out (_over_shared), as blocking_counts counts them: a run
    reports them, since the records those keys gather are not paired on them.

    Only the pairs at or above the threshold leave the SQL engine, as Arrow columns of
    what a Pair holds (not the wide prediction table); equal evidence is shared between
    pairs, so a million pairs are a million small objects, not seven million."""
    declared = trained.model
    current = m.get_declaration(trained.domain).version
    if declared.version != current:
        logger.warning(MSG_MODEL_MISMATCH.format(trained=declared.version, declared=current))
    table = with_items(rows if is_feature_table(rows) else feature_table(rows, declared), _item_counts(trained))
    if backend != "duckdb":
        table = table.combine_chunks()
    if all_pairs:
        declared = m.DomainModel(**{**declared.__dict__, "blocking": {"all pairs": ()}})
    else:
        cap = DEFAULT_BLOCKING_CAP if cap is None else cap
        counts = _check_blocking(declared, table, cap)  # its counts say which rules leave keys out
        leaving = [e for e in counts if e["left_out"]["keys"]]
        table = with_shared_keys(declared, table, cap, rules=[tuple(e["columns"]) for e in leaving])
        if left_out is not None:
            left_out([{"rule": e["rule"], **e["left_out"]} for e in leaving])
    linker = _linker(declared, table, parameters=trained.parameters, prior=trained.prior,
                     tf_tables=trained.tf_tables, backend=backend)
    del table  # the SQL engine holds what it needs
    result = linker.inference.predict(threshold_match_weight=threshold, warning_mode="never")
    wanted = ["match_weight", "match_probability", "unique_id_l", "unique_id_r"]
    tf_comparisons = _tf_comparisons(declared)
    for comp in declared.comparisons:
        wanted += [f"gamma_{comp.name}", f"mw_{comp.name}"]
        if comp.name in tf_comparisons:
            wanted.append(f"mw_tf_adj_{comp.name}")
    selected = linker.misc.query_sql(f"SELECT {', '.join(wanted)} FROM {result.physical_name}", output_type="splink_df")
    result.drop_table_from_database_and_remove_from_cache()
    scored = selected.as_pyarrow_table()
    selected.drop_table_from_database_and_remove_from_cache()
    # the input and intermediate tables too: a Spark session outlives the call, with them cached
    linker.table_management.delete_tables_created_by_splink_from_db()
    # sorted here rather than in SQL: the order survives whatever the backend does with a
    # table (Arrow, DuckDB and Spark all order strings by their bytes)
    scored = scored.sort_by([("unique_id_l", "ascending"), ("unique_id_r", "ascending")])
    return _pairs_from_frame(declared, scored)


def _pairs_from_frame(declared: m.DomainModel, frame: Any) -> list[Pair]:
    """Pairs of a prediction frame (a pyarrow Table or a pandas DataFrame), in its order.
    Pairs with the same levels and weights share one evidence tuple (they are immutable)."""
    tf_comparisons = _tf_comparisons(declared)
    if isinstance(frame, pa.Table):
        columns = {name: frame.column(name).to_pylist() for name in frame.column_names}
    else:
        columns = {c: frame[c].tolist() for c in frame.columns}
    comparisons = []
    for comp in declared.comparisons:
        # Splink numbers levels n-2 .. 0 after the null level (-1), top level highest
        by_gamma: dict[int, str] = {}
        value = sum(1 for lv in comp.levels if not lv.null) - 1
        for level in comp.levels:
            if level.null:
                by_gamma[-1] = level.label
            else:
                by_gamma[value] = level.label
                value -= 1
        tf = columns[f"mw_tf_adj_{comp.name}"] if comp.name in tf_comparisons else None
        comparisons.append((comp.name, by_gamma, columns[f"gamma_{comp.name}"], columns[f"mw_{comp.name}"], tf))
    shared: dict[tuple[Any, ...], tuple[Evidence, ...]] = {}
    ids: dict[str, str] = {}
    lefts, rights = columns["unique_id_l"], columns["unique_id_r"]
    weights, probabilities = columns["match_weight"], columns["match_probability"]
    out = []
    for i in range(len(lefts)):
        key = tuple((gammas[i], mws[i], tfs[i] if tfs is not None else None) for _, _, gammas, mws, tfs in comparisons)
        evidence = shared.get(key)
        if evidence is None:
            items = []
            for name, by_gamma, gammas, mws, tfs in comparisons:
                weight = float(mws[i])
                if tfs is not None:
                    weight += float(tfs[i])
                items.append(Evidence(name, by_gamma[int(gammas[i])], weight))
            evidence = shared[key] = tuple(items)
        left, right = str(lefts[i]), str(rights[i])
        out.append(Pair(
            left=ids.setdefault(left, left),
            right=ids.setdefault(right, right),
            weight=float(weights[i]),
            probability=float(probabilities[i]),
            evidence=evidence,
        ))
    return out


def _item_counts(trained: TrainedModel) -> dict[str, dict[Any, int]]:
    return item_counts(trained.tf_tables, trained.report.get("records", 0))


def _tf_comparisons(declared: m.DomainModel) -> set[str]:
    return {c.name for c in declared.comparisons if any(lv.tf for lv in c.levels)}

