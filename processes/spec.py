"""What a process declares about itself, once: the `ProcessSpec` every shared module reads.

A process (a case type) lives in its own modules (workflow, activities, forms, documents, pages) and declares
itself in `processes/<type>.py` as `SPEC = ProcessSpec(...)`. Shared modules (the case and task routes, the
worker, the labels, the step due times, the templates) iterate over `processes.registry.specs()` and never name a
case type. Parts that would cross the import direction (the API never imports activities) are given as
references, "module:attribute", resolved on first use.
"""

from __future__ import annotations

import importlib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from pydantic import BaseModel

# "package.module:attribute", imported when first used.
Ref = str


@cache
def on_day(day: date) -> str:
    """A date as titles show it: 2026年11月27日."""
    return f"{day.year}年{day.month}月{day.day}日"


def resolve(ref: Ref) -> Any:
    """The object a "module:attribute" reference names."""
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class CaseAction:
    """An extra action on the case page: a reason form posted to `/cases/{case_id}/{path}` (a page route)."""

    path: str
    heading: str
    button: str
    roles: tuple[str, ...]
    note: str = ""
    field_label: str = "理由"
    confirm: str = ""
    # Shown while the case is open and its status is in `statuses` (empty: any) and not in `not_statuses`.
    statuses: tuple[str, ...] = ()
    not_statuses: tuple[str, ...] = ()
    open_only: bool = True
    extra_field: str = ""  # an optional one-line text field besides the reason (its form name), e.g. a person's name
    extra_label: str = ""

    def shown(self, *, role: str, status: str, closed: bool) -> bool:
        """Whether a user of `role` sees this action on a case in `status`."""
        if role not in self.roles or (self.open_only and closed):
            return False
        return (not self.statuses or status in self.statuses) and status not in self.not_statuses


@dataclass(frozen=True)
class NavLink:
    """A link of the top navigation for the given roles; `active` is the path prefix that highlights it."""

    href: str
    label: str
    roles: tuple[str, ...]
    active: str = ""
    exact: bool = False
    order: int = 50  # position among the links of every process (lower first)

    def is_on(self, path: str) -> bool:
        prefixes = self.active.split("|") if self.active else [self.href]
        return path == self.href if self.exact else any(path.startswith(p) for p in prefixes)


@dataclass(frozen=True)
class Singleton:
    """A long-running workflow of a process that is not a case (the monthly statistics, a yearly opener), started once
    by the worker with a fixed id (a second start is a no-op); `first_input(now)` gives its first run's input. Timers
    drive it, so it fires under the simulated clock as on the real one."""

    id: str
    workflow: type
    first_input: Callable[[datetime], BaseModel]


@dataclass(frozen=True)
class WorkerContext:
    """What a process's worker parts are built from."""

    engine: Any
    settings: Any
    documents_dir: Any


@dataclass
class WorkerParts:
    """A process's activities (bound methods) and its document builders (kind -> builder)."""

    activities: list[Any] = field(default_factory=list)
    builders: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GuideMaterial:
    """A material of a 办事指南: its name, the article asking for it, and the labels of a blank form to download
    (none: no template)."""

    name: str
    basis: str = ""
    template: tuple[str, ...] = ()


@dataclass(frozen=True)
class GuideStep:
    """A step of a 办事指南: what happens, who does it, in how long (a task type's due working days from the spec
    when `task_type` is given, else the fixed `time_limit` of the seed)."""

    name: str
    who: str
    task_type: str | None = None
    time_limit: str = ""


@dataclass(frozen=True)
class Guide:
    """A process's 办事指南 (issue 15), from its seeds with the articles: who may apply, the conditions, the
    materials (with templates), the steps and time limits, the legal basis; shown at /guide/<type>."""

    who: str
    conditions: tuple[str, ...]
    materials: tuple[GuideMaterial, ...]
    steps: tuple[GuideStep, ...]
    basis: tuple[str, ...]
    apply_url: str | None = None  # the application form, which links back to the guide
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProcessSpec:
    """One case type, declared once."""

    type: str
    prefix: str  # case ids: f"{prefix}-{year}-{random}"
    label: str  # the case type in Chinese (lists, breadcrumbs)
    title: str  # a new case's title: f"{title}：{organisation}"
    workflow: type
    # Who may open it through POST /api/cases (empty: opened by the system, e.g. registration).
    applicant_roles: tuple[str, ...] = ()
    case_form: type[BaseModel] | None = None
    task_forms: Mapping[str, type[BaseModel]] = field(default_factory=dict)  # form name (on a task) -> model
    # Refusals before a case is created: fn(session, *, user, org, data, now) -> figures for the case's result.
    create_check: Ref | None = None
    # Per task type, checks of a completed form: fn(session, *, user, task, case, data, now, decision), raising a 4xx.
    task_checks: Mapping[str, Ref] = field(default_factory=dict)
    # Figures the case's result derives from its data (recomputed after a correction); pure: fn(data, result).
    derived: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None
    # The case view for a viewer: fn(session, user, case, detail) -> detail (blind review, private materials).
    redact: Ref | None = None
    many_open: bool = False  # an organisation may have several open cases of this type at once
    due_days: Mapping[str, int] = field(default_factory=dict)  # task type -> default due working days
    statuses: Mapping[str, str] = field(default_factory=dict)  # status -> Chinese label (beyond the common ones)
    status_tones: Mapping[str, str] = field(default_factory=dict)  # status -> ok | bad | warn
    task_types: Mapping[str, str] = field(default_factory=dict)  # task type -> Chinese label
    decisions: Mapping[str, str] = field(default_factory=dict)  # decision -> Chinese label (beyond the common ones)
    needs_reason: tuple[str, ...] = ()  # decisions of this process that need a comment (beyond the common ones)
    deadlines: Mapping[str, str] = field(default_factory=dict)  # deadline name -> Chinese label
    documents: Mapping[str, str] = field(default_factory=dict)  # document kind -> Chinese label
    # The Chinese wording of the error codes the process's own routes raise (code -> str.format template with the
    # error's params), merged into api/error_messages.py's table.
    messages: Mapping[str, str] = field(default_factory=dict)
    # fn(WorkerContext) -> WorkerParts: the activities and document builders the worker registers.
    worker: Ref | None = None
    extra_workflows: tuple[type, ...] = ()  # workflows that are not a case and not a singleton
    singletons: tuple[Singleton, ...] = ()
    # Run once by the launcher when the stack starts in real mode: async fn(client, settings), idempotent (e.g. create
    # a process's Temporal Schedule; the time-skipping server of the simulated clock has no Schedules).
    startup: tuple[Ref, ...] = ()
    api_routers: tuple[Ref, ...] = ()  # FastAPI routers of the process's own endpoints
    page_routers: tuple[Ref, ...] = ()  # routers of its pages (mounted before the public pages)
    actions: tuple[CaseAction, ...] = ()
    nav: tuple[NavLink, ...] = ()
    public_tabs: tuple[NavLink, ...] = ()  # tabs of the public information pages (信息公开), for everyone
    # After an admin terminated a case (its workflow is gone): give back what the process held, e.g. a voucher's
    # fund reservation. A plain fn(session, case, *, now) run with the termination's writes in the thread pool, in
    # the same transaction; it returns None or an async fn(client) that tells other cases after the commit.
    on_terminate: Ref | None = None
    # A public notice document of several cases (no case id, e.g. certification's yearly 拟认定名单): the cases it
    # lists whose own notice is still open, each taking objections: fn(session, doc_id, *, now) -> [{"case_id", "name",
    # "closes_at"}] (empty for a document that is not the process's).
    notice_targets: Ref | None = None
    # Document kinds published to everyone (besides every process's public notice): anyone may download them.
    public_documents: tuple[str, ...] = ()
    # Per task type, a panel of the task page: fn(page, task, case) -> {"template": name, "replaces_form": bool, …}
    # (e.g. the enterprise's bid comparison with one choose button per bid instead of a typed bid number).
    task_panels: Mapping[str, Ref] = field(default_factory=dict)
    # Its activities an admin's move-back may run again (idempotent, no money, documents or notices: e.g. naming a
    # panel that is named once per case); the shared task, status and notification activities always may.
    redo_safe: tuple[str, ...] = ()
    # Chinese labels of the keys of its case data and result (the pages never show a key), and of coded values by
    # key (e.g. {"limited_by": {"ratio": "补贴比例"}}).
    # The applicant's progress bar: the task types of its main steps, in order (empty: every task type, corrections
    # left out); and fn(case) -> str | None, a sentence the applicant's home page shows (e.g. a voucher's computation).
    progress: tuple[str, ...] = ()
    explain: Ref | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    value_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # What tells two cases of one applicant apart in lists and titles: fn(data, day) -> e.g. "云服务·预算5,400元·
    # 2026年11月27日", added to the title in brackets.
    title_detail: Callable[[dict[str, Any], date], str] | None = None
    guide: Guide | None = None  # its 办事指南 (who, conditions, materials, steps, basis), if it has an application

    def case_title(self, applicant: str, data: dict[str, Any], day: date) -> str:
        """A new case's title: f"{title}：{applicant}", with its `title_detail` in brackets when it declares one."""
        detail = self.title_detail(data, day) if self.title_detail else ""
        return f"{self.title}：{applicant}" + (f"（{detail}）" if detail else "")

    @property
    def input_type(self) -> type[BaseModel]:
        """The input type the workflow's `run` declares (the starter builds exactly this)."""
        hints = typing.get_type_hints(self.workflow.run)  # type: ignore[attr-defined]
        params = [v for k, v in hints.items() if k != "return"]
        return typing.cast(type[BaseModel], params[0])

    @property
    def steps(self) -> tuple[str, ...]:
        """The main steps of the applicant's progress bar."""
        return self.progress or tuple(t for t in self.task_types if not t.endswith(".correction"))

    def panel(self, name: str) -> Callable[..., Any] | None:
        """A task page's panel by task type, resolved."""
        ref = self.task_panels.get(name)
        return resolve(ref) if ref else None

    def check(self, name: str) -> Callable[..., Any] | None:
        """A task check by task type, resolved."""
        ref = self.task_checks.get(name)
        return resolve(ref) if ref else None
