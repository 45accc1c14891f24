"""Cross-reference lookup load: the API's `GET /api/v1/xref/{domain}/{system}/{key}` under
gunicorn, against a minimal Django JSON view doing the same single indexed lookup
(bench/api_baseline.py), served the same way in the same run.

    python -m bench.api_load [--records 1000000] [--clients 32] [--seconds 20] [--rounds 2] [--no-write]

Targets: the API's throughput at least 70% of the minimal view's, its p99 at most 1.5x.

Setup (reused when the database already holds the records): a PostgreSQL database of its
own (--database-url), migrated; N customer source records of system `crm`, each in its
own golden record, written by one INSERT ... SELECT per table (benchmark data: the
services' history rows are not what is measured, and a million golden-record plans would
take the run's time); a token for the CRM, granted the customer domain.

Measured: gunicorn (gthread workers, keep-alive) serves both the API and the baseline from
one process group; a second process (bench/api_client.py) runs the clients on loopback,
each on one keep-alive connection asking for random keys. Rounds alternate baseline and
API after a warm-up of each; the figures are the rounds' medians.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mdm_restapi_bench"
SECTION = "API cross-reference lookups (bench/api_load.py)"


def _django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _load(records: int) -> tuple[float, str]:
    """The records and golden records (if missing), and a fresh token. Returns the load
    time (0 when reused) and the token."""
    from django.core.management import call_command
    from django.db import connection

    from mdm.history import Change
    from mdm.models import GoldenRecord, SourceRecord
    from mdm.services.systems import source_system_register

    call_command("migrate", verbosity=0)
    change = Change(actor="bench", reason="api load benchmark")
    crm = source_system_register(code="crm", name="CRM", change=change)
    took = 0.0
    if SourceRecord.objects.filter(domain="customer", system=crm).count() < records:
        started = time.perf_counter()
        golden, source = GoldenRecord._meta.db_table, SourceRecord._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {source}, {golden} CASCADE")
            cursor.execute(f"""
                INSERT INTO {golden} (golden_id, domain, attributes, lineage, overrides, status, version,
                                      created_at, updated_at)
                SELECT 'CUST-' || lpad(i::text, 7, '0'), 'customer', '{{}}', '{{}}', '{{}}', 'active', 1, now(), now()
                FROM generate_series(1, %s) AS i""", [records])
            cursor.execute(f"""
                INSERT INTO {source} (domain, system_id, source_key, profile, raw, attributes, issues, content_hash,
                                      version, is_deleted, received_at, updated_at, golden_id)
                SELECT 'customer', %s, 'K' || lpad((g.id - m.first)::text, 7, '0'), 'bench', '{{}}', '{{}}', '{{}}',
                       md5(g.id::text), 1, false, now(), now(), g.id
                FROM {golden} g, (SELECT min(id) AS first FROM {golden}) m""", [crm.pk])
            cursor.execute(f"ANALYZE {golden}")
            cursor.execute(f"ANALYZE {source}")
        took = time.perf_counter() - started
    out = io.StringIO()
    call_command("api_token", "issue", "crm", "--domain", "customer", "--name", "bench", stdout=out)
    return took, out.getvalue().strip()


def _wiring(folder: Path) -> None:
    """A settings and URL module that add the baseline view beside the API (generated: the
    project's own wiring stays in config/)."""
    (folder / "mdm_bench_settings.py").write_text("from config.settings import *  # noqa\n"
                                                  "ROOT_URLCONF = 'mdm_bench_urls'\n")
    (folder / "mdm_bench_urls.py").write_text(textwrap.dedent("""\
        from django.urls import path

        from bench.api_baseline import xref_plain
        from config.urls import urlpatterns as project

        urlpatterns = [path("plain/xref/<str:domain>/<str:system>/<path:source_key>", xref_plain), *project]
        """))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(folder: Path, port: int, url: str, workers: int, threads: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "mdm_bench_settings",
           "PYTHONPATH": f"{folder}{os.pathsep}{ROOT}", "MDM_API_THROTTLE_RATE": "100000000/minute"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads), "--keep-alive", "60",
         "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def _load_run(port: int, prefix: str, records: int, clients: int, seconds: float, token: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.api_client", "--port", str(port), "--path-prefix", prefix, "--keys",
         str(records), "--clients", str(clients), "--seconds", str(seconds), "--token", token],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    result = json.loads(done.stdout)
    latencies = sorted(result.pop("latencies"))
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {**result, "rps": result["requests"] / result["seconds"], "p50": q[49], "p95": q[94], "p99": q[98]}


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    _create_database(args.database_url)
    _django(args.database_url)
    loaded, token = _load(args.records)
    targets = {"baseline": ("/plain/xref/customer/crm/", ""), "api": ("/api/v1/xref/customer/crm/", token)}
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    with tempfile.TemporaryDirectory(prefix="mdm-bench-") as tmp:
        _wiring(Path(tmp))
        port = _free_port()
        server = _serve(Path(tmp), port, args.database_url, args.workers, args.threads)
        try:
            for prefix, auth in targets.values():
                _load_run(port, prefix, args.records, args.clients, 3, auth)  # warm-up
            for _ in range(args.rounds):
                for name, (prefix, auth) in targets.items():
                    runs[name].append(_load_run(port, prefix, args.records, args.clients, args.seconds, auth))
                    print(name, json.dumps(runs[name][-1]), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    _report(args, runs, loaded)


def _report(args, runs: dict[str, list[dict]], loaded: float) -> None:
    base, api = runs["baseline"], runs["api"]
    ratio_rps = _median(api, "rps") / _median(base, "rps")
    ratio_p99 = _median(api, "p99") / _median(base, "p99")
    errors = sum(r["errors"] for rs in runs.values() for r in rs)
    rows = "\n".join(
        f"| {name} | {_median(rs, 'rps'):,.0f} | {_median(rs, 'p50'):.2f} | {_median(rs, 'p95'):.2f} | "
        f"{_median(rs, 'p99'):.2f} | {sum(r['requests'] for r in rs):,} |"
        for name, rs in (("minimal Django JSON view (baseline)", base), ("API `GET /api/v1/xref/...`", api))
    )
    body = f"""
{args.records:,} cross-reference rows (source records with their golden records) in PostgreSQL
{"(loaded in " + f"{loaded:.0f} s)" if loaded else "(reused)"}; gunicorn with {args.workers} gthread workers x
{args.threads} threads; {args.clients} concurrent keep-alive clients in a second process on loopback, random
keys; {args.rounds} rounds of {args.seconds:.0f} s per target, alternating, medians shown; errors: {errors}.

| target | requests/s | p50 ms | p95 ms | p99 ms | requests |
| --- | --- | --- | --- | --- | --- |
{rows}

API / baseline: throughput {ratio_rps:.0%} (target at least 70%), p99 {ratio_p99:.2f}x (target at most 1.5x).
The API's request also goes through DRF, checks the token (one indexed lookup of its hash,
then kept with the system's grants and departments for MDM_API_AUTH_CACHE_SECONDS), checks
the grant and the department, and counts the request against the token's throttle. The
machine was shared with other work during the run (both targets alike, alternating): the
absolute figures are low, the ratios are what the run compares.
"""
    print(body)
    if not args.no_write:
        from bench.report import write_section

        write_section(SECTION, body)


if __name__ == "__main__":
    main()
