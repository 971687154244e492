from . import test_novaposhta
from . import test_novaposhta_return
from . import test_novaposhta_costs
