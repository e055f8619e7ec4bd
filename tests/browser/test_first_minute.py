"""A newcomer's first minute, on the real `make run` server: the README's register link
registers a person in a browser, their mail arrives with an invitation under 10 KB, and a
pretalx export becomes a public event with one command."""

from __future__ import annotations

import email
import os
import re
import signal
import subprocess
import sys
from datetime import date, timedelta
from email import policy
from pathlib import Path

import pytest
from calendars import icaljs
from test_interop_schedule import PRETALX_LIKE
from test_make_run import ROOT, _answer, _free_port, _wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("EVENTAPP_TEST_DATABASE_URI", "").startswith("postgresql"),
        reason="make run serves SQLite; once is enough",
    ),
]

# The import's overlap removed (see tests/test_import_publish.py).
CLEAN = PRETALX_LIKE.replace(
    "<date>2027-03-27T10:00:00+01:00</date>\n        <start>10:00</start>",
    "<date>2027-03-27T10:30:00+01:00</date>\n        <start>10:30</start>",
)


def readme_register_link() -> str:
    """The first link of the README after its two commands."""
    text = (ROOT / "README.md").read_text("utf-8")
    after = text[text.index("## Two commands") :]
    after = after[after.index("```", after.index("```") + 3) + 3 :]  # past the commands
    first_lines = "\n".join(after.strip().splitlines()[:3])
    match = re.search(r"https?://\S+", first_lines)
    assert match, "the README's first lines after the two commands give no link"
    return match.group(0).rstrip(".,:;")


def test_the_readme_link_registers_a_person_whose_mail_arrives(
    browser, tmp_path: Path, screenshots: Path
) -> None:
    link = readme_register_link()
    assert link == "http://127.0.0.1:5000/events/journee-reseau-a-venir/register"
    port = _free_port()
    database = f"sqlite:///{tmp_path / 'run.sqlite3'}"
    outbox = tmp_path / "outbox"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("EVENTAPP_") and key not in ("PORT", "MAKEFLAGS", "MAKELEVEL")
    }
    env |= {
        "PORT": str(port),
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": database,
        "EVENTAPP_OUTBOX_DIR": str(outbox),
        "EVENTAPP_EXPORTS_DIR": str(tmp_path / "exports"),
        "EVENTAPP_SECRET_KEY": "first-minute-test-" + "x" * 32,
    }
    url = link.replace("127.0.0.1:5000", f"127.0.0.1:{port}")
    server = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(lambda: _answer(url), 90), "make run did not serve the README's link"
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-BE")
        page.goto(url)
        page.get_by_label("Prénom", exact=True).fill("Zoé")
        page.get_by_label("Nom", exact=True).fill("Van den Berg")
        page.get_by_label("Adresse e-mail", exact=True).fill("zoe@example.org")
        page.get_by_label("Organisation", exact=True).fill("CPAS de Liège")
        for group in ("workshop_1", "workshop_2"):
            choices = page.locator(f'input[type="radio"][name="{group}"]')
            assert choices.count() == 4
        page.locator('input[name="workshop_1"]').nth(0).check()
        page.locator('input[name="workshop_2"]').nth(1).check()
        page.locator('input[name="consent"]').check()
        page.screenshot(path=str(screenshots / "first-minute-register.png"), full_page=True)
        page.get_by_role("button", name="S'inscrire").click()
        page.wait_for_url(re.compile(r".*/r/[A-Za-z0-9_-]{32,}/$"))
        assert page.locator("[data-status]").get_attribute("data-status") == "confirmed"
        page.close()

        written = _wait_for(lambda: list(outbox.glob("*.eml")), 30)
        assert written, "no mail arrived"
        (mail,) = written
        message = email.message_from_bytes(mail.read_bytes(), policy=policy.default)
        assert message["To"].addresses[0].addr_spec == "zoe@example.org"
        assert "Inscription confirmée" in message["Subject"]
        (invitation,) = [
            part.get_payload(decode=True)
            for part in message.walk()
            if part.get_content_type() == "application/ics"
        ]
        assert len(invitation) < 10 * 1024, len(invitation)
        parsed = icaljs(invitation)
        assert len(parsed["events"]) == 9
        day = date.fromisoformat(parsed["events"][0]["start"][:10])
        assert day.weekday() == 1 and day >= date.today() + timedelta(days=30)

        # A pretalx export, published in one command; the server shows it at once.
        pretalx = tmp_path / "pretalx.xml"
        pretalx.write_text(CLEAN)
        script = Path(sys.executable).with_name("eventapp")
        done = subprocess.run(
            [script, "import", str(pretalx), "--publish"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Événement « forum-social-2027 » publié." in done.stdout
        event_page = _answer(f"http://127.0.0.1:{port}/events/forum-social-2027/")
        assert event_page is not None and "Atelier qui chevauche" in event_page
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
