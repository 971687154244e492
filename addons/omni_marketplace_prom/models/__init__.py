from . import omni_channel
from . import omni_external_order
