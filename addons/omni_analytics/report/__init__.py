from . import omni_pnl_report
from . import omni_product_performance
