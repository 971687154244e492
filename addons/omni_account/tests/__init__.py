from . import test_money_flow
from . import test_payouts
