"""Two-factor sign-in (TOTP, RFC 6238) for organiser accounts, with one-time recovery codes.

An account enrols by scanning (or typing) a secret into an authenticator app and confirming
with a code; from then on signing in asks for a code after the password. Each code is
accepted once: the time step of the last accepted one is kept and a code of that step or an
earlier one is refused, by one conditional UPDATE, so that two requests racing with the same
code cannot both get through. Recovery codes are stored as argon2 hashes, each usable once.
An administrator can require two-factor sign-in for every account (a site setting) and can
reset an account's enrolment (a lost phone and lost recovery codes)."""

from __future__ import annotations

import re
import secrets

import pyotp
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from eventapp.admin.accounts import AccountError
from eventapp.extensions import db
from eventapp.models import RecoveryCode, SiteSetting, User
from eventapp.models.types import utcnow
from eventapp.models.user import hash_secret

ISSUER = "eventapp"
RECOVERY_CODE_COUNT = 10
REQUIRE_TWO_FACTOR = "require_two_factor"
#: Codes of the step before and after the current one are accepted (clocks drift).
VALID_WINDOW = 1


_BASE32 = re.compile(r"^[A-Z2-7]{32}$")


class CodeRefused(AccountError):
    """A code that is wrong, already used, or not a code at all."""


def two_factor_required() -> bool:
    value = db.session.get(SiteSetting, REQUIRE_TWO_FACTOR)
    return value is not None and value.value == "on"


def set_two_factor_required(required: bool) -> None:
    setting = db.session.get(SiteSetting, REQUIRE_TWO_FACTOR)
    if setting is None:
        setting = SiteSetting(key=REQUIRE_TWO_FACTOR, value="off")
        db.session.add(setting)
    setting.value = "on" if required else "off"
    db.session.commit()


def new_secret() -> str:
    """A secret to enrol with; nothing is stored until a code confirms it."""
    return pyotp.random_base32()


def provisioning_uri(email: str, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def _normalise_totp(code: str) -> str | None:
    digits = "".join(code.split())
    if len(digits) == 6 and digits.isascii() and digits.isdigit():
        return digits
    return None


def _accept_totp(user: User, code: str) -> None:
    """Accepts a current TOTP code once (raises CodeRefused otherwise)."""
    digits = _normalise_totp(code)
    if digits is None or not user.totp_secret:
        raise CodeRefused(_("Le code doit compter 6 chiffres."))
    totp = pyotp.TOTP(user.totp_secret)
    now = utcnow()
    current = totp.timecode(now)
    matched = None
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        candidate = totp.generate_otp(current + offset)
        if pyotp.utils.strings_equal(candidate, digits):
            matched = current + offset
    if matched is None:
        raise CodeRefused(_("Code incorrect ou expiré."))
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            (User.totp_last_step.is_(None)) | (User.totp_last_step < matched),
        )
        .values(totp_last_step=matched)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise CodeRefused(_("Ce code a déjà servi : attendez le suivant."))
    db.session.commit()
    db.session.refresh(user)


def _accept_recovery_code(user: User, code: str) -> None:
    cleaned = "".join(code.split()).replace("-", "").lower()
    if not (8 <= len(cleaned) <= 32):
        raise CodeRefused(_("Code incorrect ou expiré."))
    unused = db.session.scalars(
        select(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .order_by(RecoveryCode.id)
    ).all()
    for recovery in unused:
        if recovery.matches(cleaned):
            claimed = db.session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == recovery.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                db.session.rollback()
                break
            db.session.commit()
            return
    raise CodeRefused(_("Code incorrect ou expiré."))


def verify_second_factor(user: User, code: str) -> str:
    """Accepts a TOTP code or an unused recovery code for an enrolled account, once.
    Returns "totp" or "recovery"; raises CodeRefused."""
    if not user.two_factor_enabled:
        raise CodeRefused(_("La double authentification n'est pas activée pour ce compte."))
    if _normalise_totp(code) is not None:
        _accept_totp(user, code)
        return "totp"
    _accept_recovery_code(user, code)
    return "recovery"


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _n in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 40 random bits, shown as xxxxx-xxxxx
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_secret(raw)))
    return codes


def confirm_enrolment(user: User, secret: str, code: str) -> list[str]:
    """Turns two-factor sign-in on with this secret once a code from the app proves it was
    copied; returns the recovery codes, in clear this once."""
    if user.two_factor_enabled:
        raise AccountError(_("La double authentification est déjà activée."))
    if not _BASE32.match(secret or ""):
        raise CodeRefused(_("Commencez par ajouter le compte à votre application."))
    user.totp_secret = secret
    user.totp_last_step = None
    try:
        _accept_totp(user, code)
    except CodeRefused:
        db.session.rollback()
        raise
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    db.session.commit()
    return codes


def regenerate_recovery_codes(user: User, code: str) -> list[str]:
    _accept_totp(user, code)
    codes = _new_recovery_codes(user)
    db.session.commit()
    return codes


def unused_recovery_codes(user: User) -> int:
    return sum(1 for code in user.recovery_codes if code.used_at is None)


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(user: User, code: str) -> None:
    """Turns two-factor sign-in off, on a current code from the app."""
    if not user.two_factor_enabled:
        raise AccountError(_("La double authentification n'est pas activée pour ce compte."))
    if two_factor_required():
        raise AccountError(
            _("Un administrateur exige la double authentification : elle reste activée.")
        )
    _accept_totp(user, code)
    _clear(user)
    db.session.commit()


def reset(user: User) -> None:
    """An administrator's action: the account signs in with its password alone again (and
    enrols anew at its next sign-in if two-factor sign-in is required)."""
    _clear(user)
    db.session.commit()
