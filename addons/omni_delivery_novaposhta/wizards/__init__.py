from . import omni_np_return_wizard
