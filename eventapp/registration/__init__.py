"""Registration rules as plain functions: window, capacity, waiting list, change, cancel, erase.

Views, the CLI and the API call these; none of them reads ``request``.
"""

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
from eventapp.registration.service import (
    RegisterOutcome,
    cancel,
    change_choices,
    confirm,
    erase,
    erase_expired,
    export_data,
    find_by_token,
    promote_waitlist,
    reactivate,
    register,
    seats_changed,
    waiting_for,
    waitlist_position,
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
