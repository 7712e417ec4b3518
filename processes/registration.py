"""Account registration review (seed 000 五.1): opened by POST /api/register, not by POST /api/cases."""

from __future__ import annotations

from processes.spec import ProcessSpec
from workflows.registration import RegistrationWorkflow

SPEC = ProcessSpec(
    type="registration",
    prefix="REG",
    label="用户注册",
    title="注册审核",
    workflow=RegistrationWorkflow,
    due_days={"registration.review": 3},
    task_types={"registration.review": "新用户注册审核"},
    worker="activities.registration:worker_parts",
)
