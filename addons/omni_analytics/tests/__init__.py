from . import test_pnl
from . import test_customers
from . import test_reorder
from . import test_repurchase
from . import test_security
