from . import omni_reorder_advice
