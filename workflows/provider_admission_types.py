"""Typed messages of provider admission's own activities (Pydantic, no SQLModel tables)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class PanelInput(BaseModel):
    case_id: str
    at: datetime


class Panel(BaseModel):
    """The experts named once for the case's blind panel (000 四 组织专家综合审定; the operator's setting, default 3)."""

    experts: list[str]


PREPARE_PROVIDER_PANEL = "prepare_provider_panel"
