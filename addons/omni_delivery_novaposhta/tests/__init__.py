from . import test_novaposhta
