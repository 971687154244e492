"""Pure-Python clients and mappers for the omni Odoo addons.

Nothing in this package imports Odoo. ``omni_connectors.core`` holds what all
channels share; each channel has its own subpackage (``generic``, and the
marketplace, carrier and cash-register clients).
"""

__version__ = "0.1.0"
