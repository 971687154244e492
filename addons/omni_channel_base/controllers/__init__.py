from . import omni_shop
