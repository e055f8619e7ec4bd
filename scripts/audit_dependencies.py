"""`make test`'s dependency audit: pip-audit over the installed packages, against PyPI's
advisories, when that service answers.

Exit 1 only for a known vulnerability. When the service cannot be reached (no network, or a
registry mirror without PyPI's JSON API, as on CI) nothing could be checked: that is said in
one line and the run goes on, exit 0, never a silent "no known vulnerabilities".
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TIMEOUT = 15  # seconds per request to the advisory service


def verdict(report: dict) -> tuple[int, str]:
    """(exit status, message) for pip-audit's JSON report."""
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    skipped = len(dependencies) - len(audited)
    vulnerable = [d for d in audited if d.get("vulns")]
    if vulnerable:
        lines = [
            f"  {d['name']} {d['version']}: "
            + ", ".join(
                f"{v['id']} (fixed in {', '.join(v.get('fix_versions') or ['no release yet'])})"
                for v in d["vulns"]
            )
            for d in vulnerable
        ]
        return 1, "pip-audit: known vulnerabilities:\n" + "\n".join(lines)
    if not audited:
        return 0, (
            f"pip-audit: the advisory service did not answer for any of the {skipped} packages: "
            "dependencies NOT checked (run it where PyPI's JSON API is reachable)"
        )
    note = f" ({skipped} could not be looked up)" if skipped else ""
    return 0, f"pip-audit: no known vulnerability in {len(audited)} packages{note}"


def main() -> int:
    pip_audit = Path(sys.executable).parent / "pip-audit"
    try:
        done = subprocess.run(  # noqa: S603  (our own venv's pip-audit, fixed arguments)
            [
                str(pip_audit),
                "--skip-editable",
                "--progress-spinner",
                "off",
                "--timeout",
                str(TIMEOUT),
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        print(f"pip-audit: could not run ({error}): dependencies NOT checked")
        return 0
    try:
        report = json.loads(done.stdout)
    except ValueError:
        # No report at all: pip-audit stopped on the way, a network error as a rule.
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"pip-audit: the advisory service did not answer ({reason}): NOT checked")
        return 0
    status, message = verdict(report)
    print(message)
    return status


if __name__ == "__main__":
    sys.exit(main())
