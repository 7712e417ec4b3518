"""The 办事指南 of each process (issue 15): what its spec declares (`ProcessSpec.guide`), with the steps' time
limits from the spec's due days, and blank templates of its materials as .docx."""

from __future__ import annotations

from datetime import date
from typing import Any

from api.errors import NotFound
from documents.model import FormDocument, Paragraph, Table
from documents.render import render_docx
from processes.registry import specs
from processes.spec import Guide, ProcessSpec


def _spec(case_type: str) -> tuple[ProcessSpec, Guide]:
    spec = specs().get(case_type)
    if spec is None or spec.guide is None:
        raise NotFound(f"no guide for {case_type}", code="guide_not_found", params={"case_type": case_type})
    return spec, spec.guide


def index() -> list[dict[str, Any]]:
    """Every process that has a guide: type, label, url."""
    return [{"type": t, "label": s.label, "url": f"/public/guide/{t}"} for t, s in specs().items() if s.guide]


def guide(case_type: str) -> dict[str, Any]:
    """A process's guide as the page shows it."""
    spec, g = _spec(case_type)
    steps = []
    for step in g.steps:
        days = spec.due_days.get(step.task_type) if step.task_type else None
        steps.append({"name": step.name, "who": step.who,
                      "time_limit": f"{days}个工作日" if days else step.time_limit or "—"})
    materials = [{"name": m.name, "basis": m.basis,
                  "template_url": f"/public/guide/{case_type}/templates/{n}.docx" if m.template else None}
                 for n, m in enumerate(g.materials, start=1)]
    return {"type": case_type, "label": spec.label, "who": g.who, "conditions": list(g.conditions),
            "materials": materials, "steps": steps, "basis": list(g.basis), "notes": list(g.notes),
            "apply_url": g.apply_url}


def template(case_type: str, number: int) -> tuple[str, bytes]:
    """A material's blank template (filename, .docx bytes): a form table of its labels to fill in."""
    _, g = _spec(case_type)
    if not 1 <= number <= len(g.materials) or not g.materials[number - 1].template:
        raise NotFound(f"no template {number} for {case_type}", code="guide_not_found",
                       params={"case_type": case_type})
    material = g.materials[number - 1]
    doc = FormDocument(kind="guide_template", title=material.name,
                       blocks=[Table(headers=[], rows=[[label, ""] for label in material.template],
                                     col_widths_mm=[50.0, 106.0]),
                               Paragraph(text=f"依据：{material.basis}。" if material.basis else "", indent_first_line=False)],
                       date=date(2026, 1, 1))
    return f"{material.name}.docx", render_docx(doc)
