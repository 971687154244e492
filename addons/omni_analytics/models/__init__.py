from . import sale_order_line
from . import sale_order
from . import res_partner
from . import product_product
from . import omni_channel
from . import omni_external_order
from . import omni_repurchase
