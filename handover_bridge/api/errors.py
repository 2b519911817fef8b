"""Every error is `{"error": {"code", "message"}}` with a fitting status, never an HTML page."""

from __future__ import annotations

import logging
import math

from sanic.exceptions import RequestCancelled, SanicException
from sanic.handlers import ErrorHandler

from ..domain.errors import RateLimited, ServiceError
from .common import reply

log = logging.getLogger("handover_bridge.api")

_SANIC_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "request_too_large",
    416: "range_not_satisfiable",
    503: "unavailable",
}


class JsonErrorHandler(ErrorHandler):
    def default(self, request, exception):
        headers: dict[str, str] = {}
        if isinstance(exception, ServiceError):
            status, code, message = exception.status, exception.code, exception.message
            if isinstance(exception, RateLimited):
                headers["Retry-After"] = str(max(1, math.ceil(exception.retry_after)))
        elif isinstance(exception, RequestCancelled):  # the client left (a /socket.io socket closing)
            status, code, message = 499, "client_closed", "the client closed the connection"
        elif isinstance(exception, SanicException):
            status = exception.status_code
            code = _SANIC_CODES.get(status, "error")
            message = str(exception) or code.replace("_", " ")
            if status == 413:
                message = "request body too large"
        else:
            log.exception(
                "unhandled error on %s %s",
                getattr(request, "method", "?"),
                getattr(request, "path", "?"),
                exc_info=exception,
            )
            status, code, message = 500, "internal_error", "internal error"
        return reply({"error": {"code": code, "message": message}}, status=status, headers=headers)
