from . import test_prom_channel
