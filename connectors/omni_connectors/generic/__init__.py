"""The generic test channel: a minimal marketplace served by ``omni_sandbox``."""

from .adapter import GenericAdapter

__all__ = ["GenericAdapter"]
