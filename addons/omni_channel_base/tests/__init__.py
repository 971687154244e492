from . import test_stock_sync
from . import test_order_import
from . import test_channel_admin
from . import test_concurrency
from . import test_backend
from . import test_status_out
from . import test_hardening
from . import test_shop_api
