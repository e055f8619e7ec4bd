"""The layers of docs/architecture.md, kept by import-linter (the contracts in
pyproject.toml): they hold, no module of eventapp/ imports itself back through others, and
the linter does fail when a lower layer imports a higher one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` run on the eventapp package found in ``project``."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(project / "pyproject.toml"), "--no-cache"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The package's Python files and the contracts, in a folder of their own."""
    shutil.copytree(
        ROOT / "eventapp",
        tmp_path / "eventapp",
        ignore=lambda folder, names: (
            [name for name in names if not name.endswith(".py") and "." in name]
            + [name for name in names if name in ("__pycache__", "static", "translations")]
        ),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_an_upward_import_breaks_the_layers(copy: Path) -> None:
    """The outbox (infrastructure) importing the registration rules (domain) is refused,
    and so is a domain rule importing an interface."""
    outbox = copy / "eventapp" / "mail" / "outbox.py"
    outbox.write_text(outbox.read_text() + "\nfrom eventapp.registration import service\n")
    done = lint_imports(copy)
    assert done.returncode != 0
    assert "eventapp.mail.outbox -> eventapp.registration.service" in done.stdout
    assert "Interfaces above domain above infrastructure BROKEN" in done.stdout
    assert "The mail outbox is a transport: it imports no domain and no interface BROKEN" in (
        done.stdout
    )


def test_a_domain_importing_a_view_breaks_the_layers(copy: Path) -> None:
    rules = copy / "eventapp" / "registration" / "rules.py"
    rules.write_text(rules.read_text() + "\nimport eventapp.admin.views\n")
    done = lint_imports(copy)
    assert done.returncode != 0
    assert "eventapp.registration.rules -> eventapp.admin.views" in done.stdout


def test_no_module_imports_itself_back() -> None:
    """No circle of imports between the modules of eventapp/ (a package's __init__
    included), which the layers contract alone does not see inside one folder."""
    graph = grimp.build_graph("eventapp")
    circles = [
        (module, imported)
        for module in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(module))
        if graph.chain_exists(importer=imported, imported=module)
    ]
    assert circles == []
