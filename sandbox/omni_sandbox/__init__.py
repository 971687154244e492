"""Loopback simulators of the omni channel APIs, with fault injection.

:data:`SIMULATORS` maps a CLI name to a simulator class, given as the class
itself or as ``"module:Class"`` (imported on first use, so one broken
simulator does not stop the others). A new simulator adds one entry here.
"""

import importlib

from .faults import KINDS as FAULT_KINDS
from .faults import Fault, FaultSet
from .server import (
    HttpError,
    Reply,
    Request,
    Simulator,
    html_reply,
    json_reply,
    route,
    text_reply,
)

__version__ = "0.1.0"

SIMULATORS = {
    "generic": "omni_sandbox.generic:GenericChannelSimulator",
    "checkbox": "omni_sandbox.checkbox:CheckboxSimulator",
    "novaposhta": "omni_sandbox.novaposhta:NovaPoshtaSimulator",
    "shop": "omni_sandbox.shop:ShopSimulator",
    "rozetka": "omni_sandbox.rozetka:RozetkaSimulator",
    "prom": "omni_sandbox.prom:PromSimulator",
}


def get_simulator(name):
    """Return the simulator class registered under ``name``."""
    try:
        target = SIMULATORS[name]
    except KeyError:
        raise KeyError(
            f"unknown simulator {name!r}; known: {', '.join(sorted(SIMULATORS))}"
        ) from None
    if isinstance(target, str):
        module_name, _, class_name = target.partition(":")
        target = getattr(importlib.import_module(module_name), class_name)
    return target


__all__ = [
    "FAULT_KINDS",
    "SIMULATORS",
    "Fault",
    "FaultSet",
    "HttpError",
    "Reply",
    "Request",
    "Simulator",
    "get_simulator",
    "html_reply",
    "json_reply",
    "route",
    "text_reply",
]
