"""JSON shapes of cases, tasks and documents (the public API of ARCHITECTURE.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from db import audit
from db import documents as doc_repo
from db import tasks as task_repo
from db.models import Case, Deadline, Document, Task, TimelineEvent, Upload, User
from forms.registry import form_schema


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


# Who sees what (README "Who sees what"): the officials who handle cases see everything; a city bureau is an
# official too but does not handle objections; experts and the parties (applicant, winning provider) do not learn who
# reviewed or objected.
HANDLERS = ("operator", "department", "admin")
OFFICIALS = (*HANDLERS, "city_bureau")
OBJECTION_REVIEW = "notice.objection_review"
# Timeline entries that name the person who took, released or was given a task.
_ASSIGNMENT_ACTIONS = ("task_claimed", "task_unclaimed", "task_reassigned")


def others_expert_work(tasks: list[Task], viewer: User | None) -> set[str]:
    """Blind review, the one rule for the API and the pages: the ids of the expert tasks whose work (decision, score,
    opinion, timeline entries) `viewer` may not see. Experts never see each other's work, during the panel or after;
    an expert sees their own."""
    if viewer is None or viewer.role != "expert":
        return set()
    return {t.id for t in tasks if t.role == "expert" and (t.completed_by or t.assignee) != viewer.username}


def _own_expert_entries(value: Any, keep: str | None) -> Any:
    """`value` with the expert names taken out of the panels it holds (lists of {"expert": name, ...}): with `keep`
    an expert's own entry only, without it every entry without its name (the score and opinion stay: reasons)."""
    if isinstance(value, list) and value and all(isinstance(x, dict) and "expert" in x for x in value):
        if keep is not None:
            return [x for x in value if x.get("expert") == keep]
        return [{k: v for k, v in x.items() if k != "expert"} for x in value]
    if isinstance(value, dict):
        return {k: _own_expert_entries(v, keep) for k, v in value.items()}
    return value


def redact_result(result: dict[str, Any], viewer: User | None) -> dict[str, Any]:
    """The case's result as `viewer` may see it: the named experts and their panel entries for officials only; an
    expert sees their own entry, a party none of the names."""
    if viewer is None or viewer.role in OFFICIALS:
        return result
    keep = viewer.username if viewer.role == "expert" else None
    out = {k: _own_expert_entries(v, keep) for k, v in result.items() if k != "experts"}
    if keep is not None and keep in (result.get("experts") or []):
        out["experts"] = [keep]
    return out


def _task_roles(tasks: list[Task]) -> dict[str, Task]:
    return {t.id: t for t in tasks}


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


def _not_theirs(task: Task, viewer: User) -> bool:
    """A task someone else acts on: a party (or an expert) does not learn who that was."""
    if viewer.role == "expert":
        return task.role != "expert" or (task.completed_by or task.assignee) != viewer.username
    return task.role != viewer.role or task.org_id != viewer.org_id


def blind(tasks: list[Task], viewer: User | None, now: datetime) -> list[dict[str, Any]]:
    """The case's tasks as `viewer` may see them: other experts' work blanked (`others_expert_work`); for a party or
    an expert, no names of whoever else acted, and an objection's investigation without the objector (its summary
    names them) unless the viewer handles objections."""
    hidden = others_expert_work(tasks, viewer)
    out = [task_json(t, now=now, with_form=False) for t in tasks]
    if viewer is None or viewer.role in HANDLERS:
        return out
    for t, j in zip(tasks, out, strict=True):
        if j["id"] in hidden:
            j.update(data={}, comment=None, decision=None)
        if t.type == OBJECTION_REVIEW:
            j.update(summary=t.title, data={}, comment=None)
        if viewer.role not in OFFICIALS and _not_theirs(t, viewer):
            j.update(assignee=None, completed_by=None)
    return out


def redact_timeline(session: Session, events: list[TimelineEvent], tasks: list[Task],
                    viewer: User | None) -> list[dict[str, Any]]:
    """The timeline as `viewer` may see it: another expert's entries dropped for an expert; an objection's
    investigation for its handlers only; for a party or an expert, whoever acted outside the viewer's own
    organisation is shown by role, not by name (and entries saying who took or was given a task are left out)."""
    hidden = others_expert_work(tasks, viewer)
    by_id = _task_roles(tasks)
    people: dict[str, User] = {}
    if viewer is not None and viewer.role not in OFFICIALS:
        names = {e.actor for e in events} - {"system", viewer.username}
        if names:
            people = {u.username: u for u in session.exec(select(User).where(col(User.username).in_(names)))}
    out: list[dict[str, Any]] = []
    for e in events:
        if e.task_id in hidden:
            continue
        j = event_json(e)
        if viewer is None or viewer.role in HANDLERS:
            out.append(j)
            continue
        task = by_id.get(e.task_id or "")
        if task is not None and task.type == OBJECTION_REVIEW and e.action != "task_opened":
            continue
        if viewer.role in OFFICIALS:
            out.append(j)
            continue
        person = people.get(e.actor)
        colleague = person is not None and viewer.role != "expert" and person.org_id is not None \
            and person.org_id == viewer.org_id
        if e.actor not in ("system", viewer.username) and not colleague:
            if e.action in _ASSIGNMENT_ACTIONS:
                continue
            role = person.role if person is not None else (task.role if task is not None else "system")
            j.update(actor=role, message=(e.message or "").replace(e.actor, role) if e.actor else e.message,
                     before={}, after={})
        out.append(j)
    return out


def case_detail(session: Session, case: Case, *, now: datetime, viewer: User | None = None) -> dict[str, Any]:
    """A case with its data, timeline, tasks, documents, deadlines and materials (blind for experts)."""
    out = case_json(case)
    tasks = list(task_repo.for_case(session, case.id))
    deadlines = session.exec(select(Deadline).where(Deadline.case_id == case.id)).all()
    uploads = session.exec(select(Upload).where(Upload.case_id == case.id)).all()
    out.update(
        data=case.data,
        result=redact_result(case.result, viewer),
        timeline=redact_timeline(session, list(audit.timeline(session, case.id)), tasks, viewer),
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
