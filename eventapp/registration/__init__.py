"""Registration rules as plain functions: window, capacity, waiting list, change, cancel, erase.

Views, the CLI and the API call these; none of them reads ``request``.
"""

from eventapp.registration.erasure import erase, erase_expired
from eventapp.registration.queries import (
    export_data,
    find_by_token,
    waiting_for,
    waitlist_position,
)
from eventapp.registration.rules import (
    Applicant,
    RegistrationRefused,
    Window,
    check_choices,
    choice_fields,
    item_capacity,
    registration_window,
    seats_left,
)
from eventapp.registration.seating import promote_waitlist
from eventapp.registration.service import (
    RegisterOutcome,
    cancel,
    change_choices,
    confirm,
    reactivate,
    register,
    seats_changed,
)

__all__ = [
    "Applicant",
    "RegisterOutcome",
    "RegistrationRefused",
    "Window",
    "cancel",
    "change_choices",
    "confirm",
    "check_choices",
    "choice_fields",
    "erase",
    "erase_expired",
    "export_data",
    "find_by_token",
    "item_capacity",
    "promote_waitlist",
    "reactivate",
    "register",
    "registration_window",
    "seats_changed",
    "seats_left",
    "waiting_for",
    "waitlist_position",
]
