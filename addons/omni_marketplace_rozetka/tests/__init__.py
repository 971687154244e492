from . import test_rozetka_channel
