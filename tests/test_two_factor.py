"""Two-factor sign-in of organisers (TOTP, recovery codes, the administrators' requirement
and reset) and the password policy (length, common passwords, one's own address)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
import time_machine
from helpers import csrf_token, visible_text
from test_admin_support import PASSWORD, accounts_fixture, login, post  # noqa: F401

from eventapp.extensions import db, limiter
from eventapp.models import RecoveryCode, User

T0 = datetime(2031, 3, 4, 10, 0, 5, tzinfo=UTC)  # 5 s into a 30-second step


@pytest.fixture(name="clock")
def clock_fixture():
    """Time stands at T0 for the whole test (signed session cookies must not go back in
    time); ``clock.shift(timedelta)`` moves it on."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def now() -> datetime:
    return datetime.now(UTC)


def field_error(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</div>', html, re.DOTALL)
    return visible_text(match.group(1)) if match else ""


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def enrol(client, moment: datetime = T0) -> tuple[str, list[str]]:
    """Enrols the logged-in account through its pages; returns the secret and the codes."""
    page = client.get("/admin/account/two-factor")
    assert page.status_code == 200
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page.text).group(1)
    answer = client.post(
        "/admin/account/two-factor",
        data={"code": code_at(secret, moment), "csrf_token": csrf_token(page.text)},
    )
    assert answer.status_code == 200, visible_text(answer.text)
    codes = re.findall(r"data-recovery-code>([0-9a-f-]+)<", answer.text)
    return secret, codes


def send_code(client, code: str):
    page = client.get("/admin/login/code")
    return client.post(
        "/admin/login/code", data={"code": code, "csrf_token": csrf_token(page.text)}
    )


def user(app, email: str) -> User:
    with app.app_context():
        found = db.session.scalars(db.select(User).where(User.email == email)).one()
        db.session.expunge(found)
        return found


def enrolled_alice(app, client) -> tuple[str, list[str]]:
    login(client, "alice@example.org")
    secret, codes = enrol(client, now())
    client.post("/admin/logout", data={"csrf_token": csrf_token(client.get("/admin/").text)})
    return secret, codes


def test_enrolment_shows_the_secret_and_is_confirmed_by_a_current_code(
    app, client, accounts, clock
):
    login(client, "alice@example.org")
    account = client.get("/admin/account")
    assert 'data-two-factor="off"' in account.text
    page = client.get("/admin/account/two-factor")
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page.text).group(1)
    uri = re.search(r"data-totp-uri>([^<]+)<", page.text).group(1)
    assert uri.startswith("otpauth://totp/eventapp:alice%40example.org?")
    assert f"secret={secret}" in uri and "issuer=eventapp" in uri
    assert "<svg" in page.text  # the QR code, drawn inline
    # Reloading keeps the secret the app has already scanned.
    assert secret in client.get("/admin/account/two-factor").text

    wrong_code = "000000" if code_at(secret, now()) != "000000" else "111111"
    wrong = client.post(
        "/admin/account/two-factor",
        data={"code": wrong_code, "csrf_token": csrf_token(page.text)},
    )
    assert wrong.status_code == 400
    assert field_error(wrong.text, "code") == "Code incorrect ou expiré."
    assert not user(app, "alice@example.org").two_factor_enabled
    assert user(app, "alice@example.org").totp_secret is None  # nothing kept before a code

    done = client.post(
        "/admin/account/two-factor",
        data={"code": code_at(secret, now()), "csrf_token": csrf_token(page.text)},
    )
    assert done.status_code == 200
    codes = re.findall(r"data-recovery-code>([0-9a-f-]+)<", done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "ne seront plus jamais affichés" in visible_text(done.text)
    assert 'data-two-factor="on"' in client.get("/admin/account").text
    with app.app_context():
        stored = db.session.scalars(db.select(RecoveryCode)).all()
        assert len(stored) == 10
        assert all(row.code_hash.startswith("$argon2") for row in stored)
        hashes = " ".join(row.code_hash for row in stored)
        assert not any(code.replace("-", "") in hashes for code in codes)


def test_login_asks_for_the_code_and_is_not_logged_in_before_it(app, client, accounts, clock):
    secret, _codes = enrolled_alice(app, client)
    clock.shift(timedelta(minutes=2))
    page = client.get("/admin/login?next=/admin/tokens")
    answer = client.post(
        "/admin/login",
        data={
            "email": "alice@example.org",
            "password": PASSWORD,
            "next": "/admin/tokens",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/admin/login/code"
    # The password alone opens nothing.
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/tokens").status_code == 302

    limiter.reset()
    wrong = send_code(client, "12345")
    assert wrong.status_code == 400
    assert field_error(wrong.text, "code") == "Code incorrect ou expiré."
    assert client.get("/admin/").status_code == 302

    right = send_code(client, code_at(secret, now()))
    assert right.status_code == 303 and right.headers["Location"] == "/admin/tokens"
    assert client.get("/admin/").status_code == 200


def test_a_code_is_accepted_once(app, client, accounts, clock):
    secret, _codes = enrolled_alice(app, client)
    # The code that confirmed the enrolment cannot sign in within the same 30 seconds.
    clock.shift(timedelta(seconds=10))
    login(client, "alice@example.org")
    again = send_code(client, code_at(secret, T0))
    assert again.status_code == 400
    assert field_error(again.text, "code") == "Ce code a déjà servi : attendez le suivant."
    assert client.get("/admin/").status_code == 302

    clock.shift(timedelta(minutes=5))
    other = client.application.test_client()
    login(client, "alice@example.org")
    login(other, "alice@example.org")
    code = code_at(secret, now())
    assert send_code(client, code).status_code == 303
    reused = send_code(other, code)
    assert reused.status_code == 400
    assert "déjà servi" in field_error(reused.text, "code")
    assert other.get("/admin/").status_code == 302
    # A code of a step long past is refused too.
    old = send_code(other, code_at(secret, now() - timedelta(minutes=3)))
    assert old.status_code == 400 and other.get("/admin/").status_code == 302


def test_a_recovery_code_signs_in_once(app, client, accounts, clock):
    _secret, codes = enrolled_alice(app, client)
    clock.shift(timedelta(minutes=1))
    login(client, "alice@example.org")
    used = send_code(client, codes[3].upper().replace("-", " - "))  # as typed
    assert used.status_code == 303
    assert "il vous en reste 9" in visible_text(client.get("/admin/").text)
    client.post("/admin/logout", data={"csrf_token": csrf_token(client.get("/admin/").text)})
    login(client, "alice@example.org")
    again = send_code(client, codes[3])
    assert again.status_code == 400
    assert field_error(again.text, "code") == "Code incorrect ou expiré."
    assert client.get("/admin/").status_code == 302
    assert send_code(client, codes[4]).status_code == 303


def test_the_code_step_is_rate_limited_and_expires(app, client, accounts, clock):
    secret, _codes = enrolled_alice(app, client)
    clock.shift(timedelta(minutes=1))
    login(client, "alice@example.org")
    limiter.reset()
    wrong = [f"{n:06d}" for n in range(100000, 100010) if f"{n:06d}" != code_at(secret, now())]
    statuses = [send_code(client, code).status_code for code in wrong[:6]]
    assert statuses == [400] * 5 + [429]
    # Even the right code waits for the window to pass.
    assert send_code(client, code_at(secret, now())).status_code == 429
    limiter.reset()
    token = csrf_token(client.get("/admin/login/code").text)
    clock.shift(timedelta(minutes=10))  # the password was given too long ago
    expired = client.post(
        "/admin/login/code", data={"code": code_at(secret, now()), "csrf_token": token}
    )
    assert expired.status_code == 303 and expired.headers["Location"] == "/admin/login"
    assert "Session expirée" in visible_text(client.get("/admin/login").text)
    assert client.get("/admin/").status_code == 302


def test_disabling_asks_for_a_current_code(app, client, accounts, clock):
    secret, _codes = enrolled_alice(app, client)
    clock.shift(timedelta(minutes=1))
    login(client, "alice@example.org")
    assert send_code(client, code_at(secret, now())).status_code == 303
    clock.shift(timedelta(minutes=1))
    refused = post(client, "/admin/account/two-factor/disable", {"code": "99999x"})
    assert refused.status_code == 400
    assert field_error(refused.text, "code") == "Le code doit compter 6 chiffres."
    assert user(app, "alice@example.org").two_factor_enabled
    done = post(client, "/admin/account/two-factor/disable", {"code": code_at(secret, now())})
    assert done.status_code == 303
    assert not user(app, "alice@example.org").two_factor_enabled
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RecoveryCode)) == 0
    fresh = client.application.test_client()
    assert login(fresh, "alice@example.org").headers["Location"] == "/admin/"


def test_new_recovery_codes_replace_the_old_ones(app, client, accounts, clock):
    secret, codes = enrolled_alice(app, client)
    clock.shift(timedelta(minutes=1))
    login(client, "alice@example.org")
    assert send_code(client, code_at(secret, now())).status_code == 303
    clock.shift(timedelta(minutes=1))
    answer = post(
        client, "/admin/account/two-factor/recovery-codes", {"code": code_at(secret, now())}
    )
    fresh_codes = re.findall(r"data-recovery-code>([0-9a-f-]+)<", answer.text)
    assert len(fresh_codes) == 10 and not set(fresh_codes) & set(codes)
    other = client.application.test_client()
    login(other, "alice@example.org")
    assert send_code(other, codes[0]).status_code == 400
    assert send_code(other, fresh_codes[0]).status_code == 303


def test_an_administrator_requires_two_factor_for_every_account(app, client, accounts, clock):
    admin = client.application.test_client()
    login(admin, "admin@example.org")
    page = admin.get("/admin/accounts")
    assert 'data-two-factor-required="off"' in page.text
    assert post(admin, "/admin/accounts/two-factor-required", {"value": "on"}).status_code == 303
    assert 'data-two-factor-required="on"' in admin.get("/admin/accounts").text

    bob = client.application.test_client()
    answer = login(bob, "bob@example.org")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/admin/account/two-factor"
    for path in ("/admin/", "/admin/tokens", "/admin/speakers", "/admin/account"):
        sent = bob.get(path)
        assert sent.status_code == 302, path
        assert sent.headers["Location"] == "/admin/account/two-factor"
    blocked = post(bob, "/admin/tokens", {"name": "script"}, token_from="/admin/account/two-factor")
    assert blocked.status_code == 302
    enrolment = bob.get("/admin/account/two-factor")
    assert "exige la double authentification" in visible_text(enrolment.text)
    secret, _codes = enrol(bob, now())
    assert bob.get("/admin/").status_code == 200
    # Required, it cannot be switched off by its owner.
    clock.shift(timedelta(seconds=30))
    refused = post(bob, "/admin/account/two-factor/disable", {"code": code_at(secret, now())})
    assert refused.status_code == 400
    assert "exige" in field_error(refused.text, "code")
    assert user(app, "bob@example.org").two_factor_enabled
    # An organiser may not change the requirement.
    assert post(bob, "/admin/accounts/two-factor-required", {"value": "off"}).status_code == 403


def test_an_administrator_resets_an_accounts_two_factor(app, client, accounts, clock):
    enrolled_alice(app, client)
    admin = client.application.test_client()
    login(admin, "admin@example.org")
    page = admin.get("/admin/accounts")
    assert page.text.count('data-two-factor="on"') == 1
    alice_id = accounts["alice"]
    assert post(admin, f"/admin/accounts/{alice_id}/two-factor/reset").status_code == 303
    assert not user(app, "alice@example.org").two_factor_enabled
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RecoveryCode)) == 0
    assert login(client, "alice@example.org").headers["Location"] == "/admin/"
    # Only administrators may reset.
    bob = client.application.test_client()
    login(bob, "bob@example.org")
    assert post(bob, f"/admin/accounts/{alice_id}/two-factor/reset").status_code == 403


POLICY = [
    ("court mais", "Au moins 12 caractères."),
    ("azertyuiop123", "Ce mot de passe fait partie des plus courants"),
    ("Password2026!", "Ce mot de passe fait partie des plus courants"),
    ("123123123123", "Ce mot de passe fait partie des plus courants"),
    ("Dora.Dupont@example.org", "Le mot de passe ne peut pas être votre adresse e-mail."),
]


@pytest.mark.parametrize(("password", "message"), POLICY)
def test_account_creation_refuses_weak_passwords_beside_the_field(
    app, client, accounts, password, message
):
    login(client, "admin@example.org")
    answer = post(
        client,
        "/admin/accounts/new",
        {"email": "dora.dupont@example.org", "password": password, "confirm": password},
    )
    assert answer.status_code == 400
    assert field_error(answer.text, "password").startswith(message)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 3


def test_password_change_applies_the_policy(app, client, accounts):
    login(client, "alice@example.org")
    wrong = post(
        client,
        "/admin/account/password",
        {"current": "pas le bon", "password": "un autre bon mot", "confirm": "un autre bon mot"},
    )
    assert wrong.status_code == 400
    assert field_error(wrong.text, "current") == "Mot de passe actuel incorrect."
    common = post(
        client,
        "/admin/account/password",
        {"current": PASSWORD, "password": "motdepasse!!", "confirm": "motdepasse!!"},
    )
    assert common.status_code == 400
    assert field_error(common.text, "password").startswith("Ce mot de passe fait partie")
    mine = post(
        client,
        "/admin/account/password",
        {"current": PASSWORD, "password": "alice@example.org", "confirm": "alice@example.org"},
    )
    assert "votre adresse e-mail" in field_error(mine.text, "password")
    assert user(app, "alice@example.org").check_password(PASSWORD)
    done = post(
        client,
        "/admin/account/password",
        {"current": PASSWORD, "password": "un autre bon mot", "confirm": "un autre bon mot"},
    )
    assert done.status_code == 303
    fresh = client.application.test_client()
    assert login(fresh, "alice@example.org").status_code == 400
    assert login(fresh, "alice@example.org", "un autre bon mot").status_code == 303


def test_an_existing_short_password_keeps_working(app, client, accounts):
    with app.app_context():
        old = db.session.get(User, accounts["bob"])
        old.set_password("dix-signes")  # the former minimum of 10
        db.session.commit()
    assert login(client, "bob@example.org", "dix-signes").status_code == 303


def test_the_command_refuses_a_common_password_in_one_line(tmp_path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTAPP_")}
    env |= {
        "EVENTAPP_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "EVENTAPP_SECRET_KEY": "x" * 32,
        "LC_ALL": "C.UTF-8",
    }
    command = [str(Path(sys.executable).parent / "eventapp")]
    subprocess.run([*command, "db", "upgrade"], env=env, check=True, capture_output=True)
    create = [*command, "organiser", "create", "e@example.org", "--password-stdin"]
    for password, message in (
        ("qwerty123456", "Ce mot de passe fait partie des plus courants"),
        ("e@example.org", "Le mot de passe ne peut pas être votre adresse e-mail."),
    ):
        answer = subprocess.run(
            create, input=f"{password}\n".encode(), env=env, capture_output=True
        )
        error = answer.stderr.decode()
        assert answer.returncode != 0
        assert message in error and len(error.strip().splitlines()) == 1, error
    fine = subprocess.run(create, input=b"une phrase assez longue\n", env=env, capture_output=True)
    assert fine.returncode == 0, fine.stderr.decode()


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("sunshine2026!", True),  # a common word padded to the length
        ("  motdepasse 123 ", True),
        ("qwertyqwertyqwerty", True),  # a block repeated
        ("un mot de passe solide", False),
        ("Correct horse battery", False),
    ],
)
def test_common_passwords_and_their_padded_forms(ctx, password, refused) -> None:
    from eventapp.admin.passwords import password_problem

    problem = password_problem(password, "someone@example.org")
    assert (problem is not None) == refused, problem
