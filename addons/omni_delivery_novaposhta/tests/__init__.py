from . import test_novaposhta
from . import test_novaposhta_return
