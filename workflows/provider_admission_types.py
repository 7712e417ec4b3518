"""Typed messages of provider admission's own activities (Pydantic, no SQLModel tables)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from workflows.types import CaseInput


class PanelInput(BaseModel):
    case_id: str
    at: datetime


class Panel(BaseModel):
    """The experts named once for the case's blind panel (000 四 组织专家综合审定; the operator's setting, default 3)."""

    experts: list[str]


PREPARE_PROVIDER_PANEL = "prepare_provider_panel"


class SweepInput(BaseModel):
    """One month of the signing sweep (000 四 每年经过评审): the 1st of `month` in `year`, Asia/Shanghai."""

    year: int
    month: int


class SweepAt(BaseModel):
    year: int
    month: int
    at: datetime


class Swept(BaseModel):
    """What a sweep did: terms ended, network platforms signed by rule, and (in the round month) the re-review cases
    it opened, which the sweep starts as admission workflows."""

    ended: list[int] = []
    network_signed: list[int] = []
    renewals: list[CaseInput] = []


PROVIDER_SIGNING_SWEEP = "provider_signing_sweep"
