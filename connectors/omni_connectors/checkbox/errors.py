"""Typed errors of the Checkbox API, told apart by the message the API sends.

Checkbox answers business errors with HTTP 400 and a Ukrainian ``message``
(``{"message": "Зміну не відкрито"}``) and schema errors with 422 and a
``detail`` list. The texts below are the ones documented or seen; they are
data (:data:`MESSAGE_CLASSES`), easy to extend when the API words one
differently. Every class is a core error, so the Odoo side translates them
as any other; the message is Checkbox's own words.
"""

from ..core.errors import AuthError, NotFoundError, ValidationError


class CheckboxError(ValidationError):
    """Checkbox refused the request; ``message`` holds its words."""


class ShiftNotOpenedError(CheckboxError):
    """No shift is open on the register (``Зміну не відкрито``)."""


class RegisterBusyError(CheckboxError):
    """The cashier already works with a register, or another cashier holds this one."""


class DuplicateReceiptError(CheckboxError):
    """A receipt with this id exists already; the client reads it instead."""


class PaymentMismatchError(CheckboxError):
    """Payments do not cover the goods, or cashless payments exceed them."""


class ReceiptValidationError(CheckboxError):
    """The payload broke the API's schema (HTTP 422, ``detail`` names the fields)."""


class ShiftFailedError(CheckboxError):
    """Opening or closing a shift ended with an error of the tax service."""


class CheckboxAuthError(AuthError):
    """Sign-in refused: wrong login, password, PIN or licence key."""


class CheckboxNotFoundError(NotFoundError):
    """Checkbox knows no such receipt, shift or report (a receipt: it was never registered)."""


#: (lower-case fragment of the API's message, error class), first match wins
MESSAGE_CLASSES = [
    ("зміну не відкрито", ShiftNotOpenedError),
    ("зміна не відкрита", ShiftNotOpenedError),
    ("касир вже працює", RegisterBusyError),
    ("каса зайнята", RegisterBusyError),
    ("вже існує", DuplicateReceiptError),
    ("already exists", DuplicateReceiptError),
    ("сума оплат", PaymentMismatchError),
    ("безготівков", PaymentMismatchError),
]


def classify(message, status):
    """The error class for an API refusal with ``message`` and HTTP ``status``."""
    text = (message or "").lower()
    for fragment, cls in MESSAGE_CLASSES:
        if fragment in text:
            return cls
    if status == 422:
        return ReceiptValidationError
    return CheckboxError
