from . import omni_binding_wizard
