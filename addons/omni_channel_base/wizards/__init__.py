from . import omni_binding_wizard
from . import omni_order_cancel_wizard
from . import omni_cost_recompute_wizard
