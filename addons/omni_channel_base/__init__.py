from . import controllers
from . import models
from . import wizards
from . import log_redaction


def post_load():
    log_redaction.install()
