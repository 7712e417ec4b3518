"""JSON logs carrying the case id and task id (python-json-logger): set per HTTP request from the path, and per
activity from its workflow id (= case id) and input; `configure_logging` installs it for the launcher and worker."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

case_id_var: ContextVar[str | None] = ContextVar("flow168_case_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("flow168_task_id", default=None)
_CASE = re.compile(r"/cases/([^/]+)")
_TASK = re.compile(r"/tasks/([^/]+)")


class ContextFilter(logging.Filter):
    """Puts the current case id and task id on every record (None when there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "case_id", None) is None:
            record.case_id = case_id_var.get()
        if getattr(record, "task_id", None) is None:
            record.task_id = task_id_var.get()
        return True


def formatter() -> logging.Formatter:
    return JsonFormatter("{asctime}{levelname}{name}{message}{case_id}{task_id}", style="{",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})


def configure_logging(fmt: str = "json", level: int = logging.INFO) -> None:
    """The root logger writes one JSON object per line (or plain text with LOG_FORMAT=text)."""
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(formatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(case_id)s %(task_id)s]: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def ids_from_path(path: str) -> tuple[str | None, str | None]:
    """The case id and task id an API or page path names (a task id starts with its case id)."""
    case = _CASE.search(path)
    task = _TASK.search(path)
    task_id = task.group(1) if task else None
    case_id = case.group(1) if case else (task_id.split(".", 1)[0] if task_id and "." in task_id else None)
    return case_id, task_id


def bind(case_id: str | None, task_id: str | None) -> Any:
    """Set the context; returns the tokens to reset."""
    return case_id_var.set(case_id), task_id_var.set(task_id)


def unbind(tokens: Any) -> None:
    case_id_var.reset(tokens[0])
    task_id_var.reset(tokens[1])
