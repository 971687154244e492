from . import omni_payout_registry_import
