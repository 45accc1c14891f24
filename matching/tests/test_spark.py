"""The Spark backend gives DuckDB's results: the same model, trained once, scores the same
pairs with the same levels and weights and gives the same clusters on Spark (local mode)
as on DuckDB, for every fixture domain.

The tests marked `spark` are left out of the default run (pytest.ini); run them with
`pytest -m spark` after `pip install -r requirements-spark.txt` (Java 17 or later). They
skip without pyspark, unless MDM_REQUIRE_SPARK=1 (CI), where that is a failure."""

from __future__ import annotations

import os
import sys

import pytest

from fixtures.datasets import DOMAINS
from matching import engine
from matching.clustering import Conflicts, cluster
from matching.training import default_thresholds
from mdm.domains import get_domain
from mdm.errors import BackendUnavailable

MSG_NO_PYSPARK = "pyspark is not installed: pip install -r requirements-spark.txt (MDM_REQUIRE_SPARK=1 fails instead)"
WEIGHT_TOLERANCE = 1e-6
# pyspark 4.1's toPandas with pandas 3: harmless, and not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def spark():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("MDM_REQUIRE_SPARK") == "1":
            pytest.fail(MSG_NO_PYSPARK, pytrace=False)
        pytest.skip(MSG_NO_PYSPARK)
    session = engine.spark_session(master="local[2]", conf=engine.SPARK_TEST_CONF)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _by_pair(pairs):
    return {(p.left, p.right): p for p in pairs}


def _conflicts(model, pairs, threshold):
    conflicts = Conflicts.of(model, get_domain(model.domain).matching.conflict_below, threshold)
    return [(p.left, p.right) for p in pairs if conflicts(p.weight, p.evidence)]


@pytest.mark.spark
@pytest.mark.parametrize("domain", DOMAINS)
def test_it_gives_duckdbs_pairs_levels_weights_and_clusters_on_spark(spark, samples, trained, domain):
    rows = samples[domain].rows
    model = trained(domain)
    on_duckdb = engine.predict(model, rows)  # every blocked pair, not only the likely ones
    on_spark = engine.predict(model, rows, backend="spark")

    duck, sparks = _by_pair(on_duckdb), _by_pair(on_spark)
    assert len(duck) > len(rows) / 2
    assert duck.keys() == sparks.keys()
    for key, pair in duck.items():
        other = sparks[key]
        levels = [(e.comparison, e.level) for e in pair.evidence]
        assert [(e.comparison, e.level) for e in other.evidence] == levels, key
        weights = [e.weight for e in pair.evidence]
        assert [e.weight for e in other.evidence] == pytest.approx(weights, abs=WEIGHT_TOLERANCE)
        assert other.weight == pytest.approx(pair.weight, abs=WEIGHT_TOLERANCE), key
        assert other.probability == pytest.approx(pair.probability, abs=WEIGHT_TOLERANCE), key
    levels = {(e.comparison, e.level) for p in on_duckdb for e in p.evidence}
    assert len(levels) >= 10  # the fixtures reach most levels, not just "differ"

    records = [r["unique_id"] for r in rows]
    for threshold in (default_thresholds(domain)["upper"], 0.0):
        clusters = cluster(on_duckdb, threshold, records=records, cannot_link=_conflicts(model, on_duckdb, threshold))
        assert any(len(c) > 1 for c in clusters)
        on_spark_clusters = cluster(on_spark, threshold, records=records,
                                    cannot_link=_conflicts(model, on_spark, threshold))
        assert on_spark_clusters == clusters


# Pairs where Splink's jar differs from DuckDB: half a transposition (abcdef / abcfde),
# characters outside the BMP (two UTF-16 units in Java), a missing side.
STRING_CASES = [
    ("abcdef", "abcfde"), ("martha", "marhta"), ("dixon", "dicksonx"), ("crate", "trace"), ("abc", "bca"),
    ("六角螺栓", "六角螺母"), ("华为", "为华"), ("星晟安", "星安"), ("𠀀a", "a"), ("𠀀华为", "𠀀华伟"), ("", "x"),
    ("same", "same"), (None, "x"), ("x", None), (None, None),
]


@pytest.mark.spark
def test_it_compares_strings_as_duckdb_does(spark):
    import duckdb

    values = ", ".join(
        "(" + ", ".join("NULL" if v is None else "'" + v + "'" for v in case) + ")" for case in STRING_CASES
    )
    duck = duckdb.connect().execute(
        f"SELECT jaro_winkler_similarity(a, b), damerau_levenshtein(a, b) FROM (VALUES {values}) t(a, b)"
    ).fetchall()
    on_spark = spark.sql(
        f"SELECT {engine.SPARK_JARO_WINKLER}(a, b), {engine.SPARK_DAMERAU}(a, b) FROM VALUES {values} AS t(a, b)"
    ).collect()
    assert [r[1] for r in on_spark] == [r[1] for r in duck]  # distances: equal
    assert [r[0] for r in on_spark] == pytest.approx([r[0] for r in duck], abs=1e-12, nan_ok=False)


def test_it_refuses_an_unknown_backend(samples, trained):
    with pytest.raises(BackendUnavailable, match="unknown matching backend 'sqlite'"):
        engine.predict(trained("product"), samples["product"].rows[:20], backend="sqlite")


def test_it_says_how_to_install_pyspark(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # as if pyspark were not installed
    with pytest.raises(BackendUnavailable, match="requirements-spark.txt"):
        engine.spark_session()
