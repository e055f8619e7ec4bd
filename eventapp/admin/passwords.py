"""The password policy of organiser accounts: at least 12 characters, not a common password
(nor one with a few digits or signs around it, nor a short block repeated), not the account's
own address.

The common passwords are the 30,000 of the `zxcvbn` package (its ``passwords`` frequency list,
drawn from leaked password sets; MIT licence), a dependency of the project: nothing is fetched
at run time. Existing accounts keep their password; the policy applies when one is chosen
(account creation, from the form or ``eventapp organiser create``, and password change)."""

from __future__ import annotations

import functools
import re
import string

from flask_babel import gettext as _

MIN_PASSWORD_LENGTH = 12
#: Digits and signs people add around a common word to pass a length rule.
_PADDING = string.digits + string.punctuation + string.whitespace + "€£§°²³"
_REPEATED = re.compile(r"^(.{1,6}?)\1+$", re.DOTALL)


@functools.cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    lowered = password.lower()
    common = common_passwords()
    if lowered in common or _REPEATED.match(lowered):
        return True
    stem = lowered.strip(_PADDING)
    return len(stem) < 4 or stem in common or bool(_REPEATED.match(stem))


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why this password is refused (a sentence for the person choosing it), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _(
            "Le mot de passe doit compter au moins %(count)s caractères.",
            count=MIN_PASSWORD_LENGTH,
        )
    if email:
        address = email.strip().lower()
        lowered = password.strip().lower()
        if lowered == address or lowered == address.split("@", 1)[0]:
            return _("Le mot de passe ne peut pas être votre adresse e-mail.")
    if is_common(password):
        return _(
            "Ce mot de passe fait partie des plus courants (il est essayé en premier par "
            "qui veut entrer) : choisissez-en un autre."
        )
    return None
