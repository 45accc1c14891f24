"""The blind benchmark generator is deterministic per seed, and its ground truth names
exactly the records of its files."""

import csv
import json
from collections import Counter

import openpyxl
import yaml

from bench.blind.generate import generate


def _records(base, f):
    profile = yaml.safe_load((base / f["profile"]).read_text(encoding="utf-8"))
    path = base / f["path"]
    if f["format"] == "csv":
        with path.open(encoding=f["encoding"], newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter=f["delimiter"]))
    elif f["format"] == "xlsx":
        it = openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)
        header = next(it)
        rows = [dict(zip(header, r, strict=False)) for r in it]
    else:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for step in profile["records"].split("."):
            doc = doc[step]
        rows = doc
    return list(rows), profile["key"]


def _content(base):
    manifest = yaml.safe_load((base / "manifest.yaml").read_text(encoding="utf-8"))
    files = {f["path"]: _records(base, f)[0] for f in manifest["files"]}
    return manifest, files, (base / "ground_truth.csv").read_text(encoding="utf-8")


def test_same_seed_same_folder_and_truth_matches_files(tmp_path):
    sizes = {"customers": 300, "suppliers": 300, "products": 400}
    a = generate(3, tmp_path / "a", **sizes)
    b = generate(3, tmp_path / "b", **sizes)
    assert _content(a) == _content(b)
    assert _content(a)[2] != _content(generate(4, tmp_path / "c", **sizes))[2]

    manifest = yaml.safe_load((a / "manifest.yaml").read_text(encoding="utf-8"))
    with (a / "ground_truth.csv").open(encoding="utf-8") as fh:
        truth = Counter((r["domain"], r["system"], r["source_key"]) for r in csv.DictReader(fh))
    assert max(truth.values()) == 1
    in_files = Counter()
    assert {f["domain"] for f in manifest["files"]} == {"customer", "supplier", "product"}
    for f in manifest["files"]:
        rows, key = _records(a, f)
        assert len(rows) == f["records"]
        in_files.update((f["domain"], f["system"], str(r[key])) for r in rows)
    assert in_files == truth
