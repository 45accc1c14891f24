"""Ingest throughput: 100k SAP KNA1 customer rows into PostgreSQL, end to end.

End to end = read CSV, map through the profile, standardize, hash, upsert with history rows
and change events. Baseline measured in the same run: a plain PostgreSQL COPY of the same
file into a table of text columns. Targets: >= 12,000 records/s on a first load and at most
25x the COPY. Where the time goes: the CPU of the importing process, of the PostgreSQL
backend serving it, and of the rest of the machine (the row-work processes), per record.

    python -m bench.ingest [--records 100000] [--database-url postgres://postgres@127.0.0.1:5432/mdm_bench]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent


ANALYSIS = """\
Where the time goes: a first load is bound by the machine's CPU, not by waiting (the
cores are busy nearly all the time). A row's own work (its checks, content hash,
standardization and the JSON text stored) runs in worker processes and is the largest
share, company names and phone numbers most of it; the importing process reads the file,
keys the rows, and writes records, history rows and change events set-based (COPY, one
INSERT ... SELECT for the history); the PostgreSQL backend parses the JSONB it is sent and
keeps the indexes of three tables. The COPY baseline writes one table of text columns and
no index, so the ratio measures all of that together."""


def recreate_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def copy_baseline(url: str, path: Path) -> float:
    with psycopg.connect(url) as conn:
        header = path.open(encoding="utf-8").readline().strip().split(",")
        columns = ", ".join(f'"{c}" text' for c in header)
        conn.execute(f"CREATE TABLE copy_baseline ({columns})")
        started = time.perf_counter()
        with conn.cursor().copy("COPY copy_baseline FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, \
                path.open("rb") as f:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        return time.perf_counter() - started


def standardize_only(path: Path) -> float:
    """CPU cost of reading and standardizing alone: the floor under any ingest design."""
    from mdm.domains import get_domain
    from mdm.ingest.profiles import get_profile
    from mdm.ingest.readers import RowSource

    profile = get_profile("sap_kna1")
    domain = get_domain(profile.domain)
    started = time.perf_counter()
    for row in RowSource(path, profile).rows():
        domain.standardize(profile.extract(row.data), phone_region="CN")
    return time.perf_counter() - started


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time of a process (user + system), or of the whole machine (busy, all cores)."""
    if pid is None:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/mdm_bench"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="mdm-bench-"))
    path = workdir / "kna1.csv"
    subprocess.run(
        [sys.executable, "-m", "fixtures.generate", "bench", "--domain", "customer",
         "--profile", "sap_kna1", "--records", str(args.records), "--out", str(path)],
        cwd=ROOT, check=True,
    )
    recreate_database(args.database_url)
    copy_seconds = copy_baseline(args.database_url, path)

    os.environ["DATABASE_URL"] = args.database_url
    os.environ["MDM_DATA_DIR"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from mdm.history import Change
    from mdm.ingest.run import import_file
    from mdm.models import ChangeEvent, SourceRecord
    from mdm.services.systems import source_system_register

    call_command("migrate", verbosity=0)
    standardize_seconds = standardize_only(path)
    source_system_register(code="erp", name="SAP ERP", change=Change(actor="bench", reason="bench"))

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    before = (cpu_seconds(os.getpid()), cpu_seconds(backend), cpu_seconds())
    started = time.perf_counter()
    run = import_file(path=path, system_code="erp", profile_name="sap_kna1")
    first_seconds = time.perf_counter() - started
    importer, database, machine = (
        after - start for after, start in zip((cpu_seconds(os.getpid()), cpu_seconds(backend), cpu_seconds()),
                                              before, strict=True)
    )
    started = time.perf_counter()
    again = import_file(path=path, system_code="erp", profile_name="sap_kna1")
    again_seconds = time.perf_counter() - started

    history_rows = SourceRecord.history.count()
    events = ChangeEvent.objects.count()
    rate = run.read / first_seconds
    rows = [
        ("records in file", f"{run.read:,}"),
        ("inserted / rejected", f"{run.inserted:,} / {run.rejected:,}"),
        ("history rows / change events", f"{history_rows:,} / {events:,}"),
        ("PostgreSQL COPY of the file (baseline)", f"{copy_seconds:.2f} s ({run.read / copy_seconds:,.0f} rows/s)"),
        ("ingest, first load", f"{first_seconds:.2f} s (**{rate:,.0f} records/s**, target ≥ 12,000)"),
        ("ingest / COPY ratio", f"**{first_seconds / copy_seconds:.1f}×** (target ≤ 25×)"),
        ("CPU per record, first load: importing process / PostgreSQL backend / row-work processes and the rest",
         f"{importer / run.read * 1e6:.0f} / {database / run.read * 1e6:.0f} / "
         f"{(machine - importer - database) / run.read * 1e6:.0f} µs "
         f"(machine busy {machine / (first_seconds * (os.cpu_count() or 1)):.0%} of {os.cpu_count()} cores)"),
        ("read + map + standardize only, one process, no database",
         f"{standardize_seconds:.2f} s ({run.read / standardize_seconds:,.0f} records/s)"),
        ("re-load of the same file (all unchanged)",
         f"{again_seconds:.2f} s ({again.unchanged:,} unchanged, {run.read / again_seconds:,.0f} records/s)"),
    ]
    table = "| measure | value |\n| --- | --- |\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    print(table)
    from bench.report import write_section

    write_section(
        "Ingest throughput (PostgreSQL)",
        f"`python -m bench.ingest --records {args.records}`: SAP KNA1 CSV from the fixture "
        f"generator, end to end (read, map, standardize, hash, upsert, history, change feed), "
        f"with MDM_INGEST_WORKERS={settings.MDM_INGEST_WORKERS} row-work processes beside "
        f"the writer, on {os.cpu_count()} cores.\n\n{table}\n\n{ANALYSIS} On this machine the 12,000 records/s "
        f"target is {'met' if rate >= 12_000 else 'not met'}, the 25× COPY target "
        f"{'met' if first_seconds <= 25 * copy_seconds else 'not met'}.",
    )


if __name__ == "__main__":
    main()
