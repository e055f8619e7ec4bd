"""`make test`'s dependency audit (scripts/audit_dependencies.py): a known vulnerability fails
the run; a service that does not answer is said, not taken for "nothing found"."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _audit():
    spec = importlib.util.spec_from_file_location(
        "audit_dependencies", ROOT / "scripts" / "audit_dependencies.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_known_vulnerability_fails_with_its_fix() -> None:
    status, message = _audit().verdict(
        {
            "dependencies": [
                {"name": "flask", "version": "3.1.0", "vulns": []},
                {
                    "name": "jinja2",
                    "version": "3.1.2",
                    "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}],
                },
            ]
        }
    )
    assert status == 1
    assert "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in message


def test_an_unreachable_service_is_said_and_does_not_fail() -> None:
    skipped = {"name": "flask", "skip_reason": "Dependency not found on PyPI"}
    status, message = _audit().verdict({"dependencies": [skipped, skipped | {"name": "x"}]})
    assert status == 0
    assert "did not answer for any of the 2 packages" in message and "NOT checked" in message


def test_a_clean_answer_counts_what_was_checked() -> None:
    status, message = _audit().verdict(
        {
            "dependencies": [
                {"name": "flask", "version": "3.1.0", "vulns": []},
                {"name": "odd", "skip_reason": "Dependency not found on PyPI"},
            ]
        }
    )
    assert (status, message) == (
        0,
        "pip-audit: no known vulnerability in 1 packages (1 could not be looked up)",
    )
