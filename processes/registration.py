"""Account registration review (seed 000 五.1): opened by POST /api/register, not by POST /api/cases."""

from __future__ import annotations

from datetime import date
from typing import Any

from processes.spec import ProcessSpec, on_day
from rules.size_class import INDUSTRIES
from workflows.registration import RegistrationWorkflow


def title_detail(data: dict[str, Any], day: date) -> str:
    """The account's username and the organisation's industry (two registrations of one name tell apart)."""
    industry = (data.get("org") or {}).get("industry")
    return "·".join(p for p in (str(data.get("username") or ""), INDUSTRIES.get(industry, "") if industry else "",
                                on_day(day)) if p)


SPEC = ProcessSpec(
    type="registration",
    prefix="REG",
    label="用户注册",
    title="注册审核",
    workflow=RegistrationWorkflow,
    due_days={"registration.review": 3},
    task_types={"registration.review": "新用户注册审核"},
    worker="activities.registration:worker_parts",
    title_detail=title_detail,
)
