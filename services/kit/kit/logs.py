"""Structured JSON logs on stdout, each line carrying the correlation id."""
import json
import logging
import sys
import time

from kit import context, settings


class JsonFormatter(logging.Formatter):
    def __init__(self, service):
        super().__init__()
        self.service = service

    def format(self, record):
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        cid = context.correlation_id()
        if cid:
            entry["correlation_id"] = cid
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(service):
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.get("LOG_LEVEL").upper())
    # h2 and kombu are chatty at INFO about routine connection churn
    for noisy in ("nameko_grpc", "h2", "kombu", "amqp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # nameko logs a refused request (a domain error) at WARNING with a traceback
    logging.getLogger("nameko.containers").setLevel(logging.ERROR)


def fields(**values):
    """Extra structured fields: log.info("msg", extra=fields(order_id=...))."""
    return {"fields": values}
