"""Keep Rasa's and TensorFlow's logs and warnings out of a script's report."""

import logging
import warnings


def quiet_rasa() -> None:
    warnings.filterwarnings("ignore")
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.ERROR)
    configure_structlog(logging.ERROR)
