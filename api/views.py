"""JSON shapes of cases, tasks and documents (the public API of ARCHITECTURE.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from db import audit
from db import documents as doc_repo
from db import tasks as task_repo
from db.models import Case, Deadline, Document, Task, TimelineEvent, Upload, User
from forms.registry import form_schema


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def others_expert_work(tasks: list[Task], viewer: User | None) -> set[str]:
    """Blind review, the one rule for the API and the pages: the ids of the expert tasks whose work (decision, score,
    opinion, timeline entries) `viewer` may not see. Experts never see each other's work, during the panel or after;
    an expert sees their own."""
    if viewer is None or viewer.role != "expert":
        return set()
    return {t.id for t in tasks if t.role == "expert" and (t.completed_by or t.assignee) != viewer.username}


def task_json(task: Task, *, now: datetime | None = None, with_form: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": task.id, "case_id": task.case_id, "type": task.type, "title": task.title, "summary": task.summary,
        "role": task.role, "city": task.city, "assignee": task.assignee, "status": task.status,
        "decisions": task.decisions, "opened_at": iso(task.opened_at), "due_at": iso(task.due_at),
        "due_working_days": task.due_working_days, "due_confirmed": task.due_confirmed, "due_fixed": task.due_fixed,
        "overdue": bool(now and task.status in task_repo.OPEN_STATES and task.due_at < now),
        "decision": task.decision, "comment": task.comment, "completed_by": task.completed_by,
        "completed_at": iso(task.completed_at), "data": task.data, "form_name": task.form,
    }
    if with_form:
        out["form"] = form_schema(task.form)
    return out


def case_json(case: Case) -> dict[str, Any]:
    return {
        "id": case.id, "type": case.type, "status": case.status, "title": case.title, "applicant": case.applicant,
        "city": case.city, "policy_version": case.policy_version, "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at), "closed_at": iso(case.closed_at),
    }


def document_json(d: Document) -> dict[str, Any]:
    return {"id": d.id, "kind": d.kind, "title": d.title, "doc_number": d.doc_number, "sha256": d.sha256,
            "size": d.size, "layout_version": d.layout_version, "created_at": iso(d.created_at),
            "url": f"/api/documents/{d.id}"}


def event_json(e: TimelineEvent) -> dict[str, Any]:
    return {"at": iso(e.at), "actor": e.actor, "action": e.action, "message": e.message, "task_id": e.task_id,
            "before": e.before, "after": e.after}


def blind(tasks: list[Task], viewer: User | None, now: datetime) -> list[dict[str, Any]]:
    """The case's tasks as `viewer` may see them: other experts' work blanked (`others_expert_work`)."""
    hidden = others_expert_work(tasks, viewer)
    out = [task_json(t, now=now, with_form=False) for t in tasks]
    for j in out:
        if j["id"] in hidden:
            j.update(data={}, comment=None, decision=None)
    return out


def case_detail(session: Session, case: Case, *, now: datetime, viewer: User | None = None) -> dict[str, Any]:
    """A case with its data, timeline, tasks, documents, deadlines and materials (blind for experts)."""
    out = case_json(case)
    tasks = list(task_repo.for_case(session, case.id))
    deadlines = session.exec(select(Deadline).where(Deadline.case_id == case.id)).all()
    uploads = session.exec(select(Upload).where(Upload.case_id == case.id)).all()
    hidden = others_expert_work(tasks, viewer)
    out.update(
        data=case.data,
        result=case.result,
        timeline=[event_json(e) for e in audit.timeline(session, case.id) if e.task_id not in hidden],
        tasks=blind(tasks, viewer, now),
        documents=[document_json(d) for d in doc_repo.for_case(session, case.id)],
        deadlines=[{"name": d.name, "closes_at": iso(d.closes_at), "confirmed": d.confirmed} for d in deadlines],
        materials=[{"id": u.id, "filename": u.filename, "sha256": u.sha256, "size": u.size,
                    "url": f"/api/uploads/{u.id}"} for u in uploads],
    )
    for key in ("valid_until", "voucher"):
        if key in case.result:
            out[key] = case.result[key]
    return out
