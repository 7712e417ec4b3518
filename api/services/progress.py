"""An applicant's home: its cases with their progress (the steps of the process, the current one, which role holds
it and by when) and what it must do now (issue 15). Staff are never named: only their role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from api.deps import require
from api.services import cases as case_service
from api.views import task_json
from db import tasks as task_repo
from db.cases import APPLICANTS
from db.models import Case, Task, User
from processes.registry import specs
from processes.spec import resolve


def _step_states(case: Case, tasks: list[Task], steps: tuple[str, ...]) -> tuple[list[dict[str, Any]], Task | None]:
    """Each main step done / current / to come, and the open task holding the case (if any)."""
    open_tasks = [t for t in tasks if t.status in task_repo.OPEN_STATES]
    current = open_tasks[-1] if open_tasks else None
    done = {t.type for t in tasks if t.status == "completed"}
    at = steps.index(current.type) if current is not None and current.type in steps else -1
    if at < 0:  # between steps (e.g. bidding) or ended: the first step not yet done
        at = next((i for i, s in enumerate(steps) if s not in done), len(steps))
        if case.closed_at is not None:
            at = len(steps)
    out = [{"type": s, "state": "done" if i < at or (s in done and i != at) else ("current" if i == at else "todo")}
           for i, s in enumerate(steps)]
    return out, current


def applicant_home(session: Session, user: User, *, now: datetime) -> dict[str, Any]:
    """The applicant organisation's cases (open first) with their progress, and the tasks it must do now."""
    require(user, *APPLICANTS)
    rows, total = case_service.listing(session, user, limit=100, offset=0)
    cases: list[dict[str, Any]] = []
    todo: list[dict[str, Any]] = []
    for case in sorted(rows, key=lambda c: (c.closed_at is not None, -c.created_at.timestamp())):
        spec = specs().get(case.type)
        tasks = list(task_repo.for_case(session, case.id))
        steps, current = _step_states(case, tasks, spec.steps if spec else ())
        mine = current is not None and task_repo.can_see(user, current) and current.role == user.role
        explain = resolve(spec.explain) if spec is not None and spec.explain else None
        cases.append({
            "id": case.id, "type": case.type, "title": case.title, "status": case.status,
            "closed": case.closed_at is not None, "created_at": case.created_at, "steps": steps,
            "done": sum(1 for s in steps if s["state"] == "done"),
            "current": task_json(current, now=now, with_form=False) if current is not None else None,
            "mine": mine, "explain": explain(case) if explain is not None else None,
        })
    # What it must do now: every open task it may act on, on its own cases or others' (a provider's delivery).
    for scope in ("available", "mine"):
        for t in task_repo.inbox(session, user, scope=scope, now=now, limit=100, offset=0)[0]:
            todo.append(task_json(t, now=now, with_form=False))
    todo.sort(key=lambda t: t["due_at"] or "")
    return {"cases": cases, "total": total, "todo": todo}
