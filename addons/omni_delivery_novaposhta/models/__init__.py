from . import omni_np_account
from . import omni_np_city
from . import omni_np_warehouse
from . import delivery_carrier
from . import omni_np_recipient_mixin
from . import sale_order
from . import stock_picking
from . import omni_external_order
