from . import test_money_flow
from . import test_payouts
from . import test_payout_hostile
from . import test_novaposhta_books
from . import test_prom_books
from . import test_fiscal_books
