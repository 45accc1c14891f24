"""The shape of the code that review would otherwise have to keep by hand: imports point one
way (import-linter), functions stay short, no import hides inside a function to dodge a
cycle, and every error has one documented code."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from mdm import errors

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("config", "api", "stewardship", "matching", "mdm")
FIRST_PARTY = ("config", "api", "stewardship", "bench", "matching", "mdm", "fixtures")
MAX_FUNCTION_LINES = 80


def _sources(*packages: str, tests: bool = False) -> list[Path]:
    return sorted(
        path for package in packages for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and (tests or "tests" not in path.parts)
    )


def _functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


def test_it_keeps_every_function_of_the_core_and_matching_under_80_lines():
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in _sources("mdm", "matching")
        for node in _functions(path)
        if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_it_imports_project_modules_at_the_top_only():
    """An import of the project's own modules inside a function hides a cycle; the one
    exception is AppConfig.ready, where Django connects signals once the apps are loaded."""
    hidden = []
    for path in _sources(*PACKAGES, tests=True):
        for node in _functions(path):
            if node.name == "ready" and path.name == "apps.py":
                continue
            for inner in ast.walk(node):
                module = inner.module if isinstance(inner, ast.ImportFrom) else (
                    inner.names[0].name if isinstance(inner, ast.Import) else None)
                if module and module.split(".")[0] in FIRST_PARTY:
                    hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno} {module} in {node.name}")
    assert hidden == []


def test_the_test_configuration_does_not_import_the_benchmarks():
    tree = ast.parse((ROOT / "conftest.py").read_text(encoding="utf-8"))
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {name for name in imported if name.split(".")[0] == "bench"}


def _all_errors() -> list[type[errors.MdmError]]:
    for package in PACKAGES:  # every module, so every error class is defined
        for info in pkgutil.walk_packages(importlib.import_module(package).__path__, f"{package}."):
            if ".tests" not in info.name and ".migrations" not in info.name:
                importlib.import_module(info.name)
    found, todo = [], [errors.MdmError]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def test_every_error_has_a_unique_documented_code():
    classes = _all_errors()
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)
    assert all(cls.__module__ == "mdm.errors" for cls in classes)  # one hierarchy, in one place
    documented = re.findall(r"^\| `(\w+)` \|", (ROOT / "docs" / "errors.md").read_text(encoding="utf-8"), re.M)
    assert sorted(documented) == sorted(codes)
    assert all(400 <= cls.status < 600 for cls in classes)
    assert not issubclass(errors.InternalError, errors.MdmError)


def test_nothing_raises_the_bare_base_error():
    bare = [
        f"{path.relative_to(ROOT)}:{n.lineno}"
        for path in _sources(*PACKAGES)
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call)
        and isinstance(n.exc.func, ast.Name) and n.exc.func.id == "MdmError"
    ]
    assert bare == []


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--no-logo"],
        cwd=tree, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.slow
def test_import_linter_keeps_the_layers_and_fails_when_the_core_imports_matching(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".git", ".venv", "var", "__pycache__", "*.pyc"))
    kept = _lint_imports(tree)
    assert kept.returncode == 0, kept.stdout + kept.stderr

    selectors = tree / "mdm" / "selectors.py"
    selectors.write_text(selectors.read_text(encoding="utf-8") + "\nfrom matching import engine  # noqa\n",
                         encoding="utf-8")
    broken = _lint_imports(tree)
    assert broken.returncode != 0
    assert "mdm is not allowed to import matching" in broken.stdout
    assert "mdm.selectors -> matching.engine" in broken.stdout
