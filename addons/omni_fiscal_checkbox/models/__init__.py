from . import omni_checkbox_register
from . import omni_checkbox_tax_map
from . import omni_checkbox_shift
from . import omni_fiscal_policy
from . import omni_fiscal_receipt
from . import sale_order
from . import account_move
from . import res_company
