"""Migration 0021_cert_yearly: the year's list on the call (002 art. 12) and provideradmissionsetting.experts'
server default agreeing with the model and DEFAULT_PANEL (1; 0018 had set 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from activities.provider_admission import DEFAULT_PANEL
from db.engine import make_engine
from db.models import ProviderAdmissionSetting
from tests.conftest import _new_database

pytestmark = pytest.mark.pg


def test_a_setting_row_written_without_experts_gets_the_models_default(tmp_path: Path) -> None:
    url, drop = _new_database(tmp_path)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO provideradmissionsetting (id, updated_by, updated_at) "
                              "VALUES (1, '', CURRENT_TIMESTAMP)"))
            experts = conn.execute(text("SELECT experts FROM provideradmissionsetting WHERE id = 1")).scalar_one()
            assert experts == ProviderAdmissionSetting().experts == DEFAULT_PANEL == 1
            conn.execute(text("INSERT INTO certificationcall (year, title, deadline_at, experts, opened_by, opened_at, "
                              "relaxed_pct) VALUES (2026, '', CURRENT_TIMESTAMP, 3, '', CURRENT_TIMESTAMP, 80)"))
            row = conn.execute(text("SELECT list_published_at, list_case_ids FROM certificationcall")).one()
            assert tuple(row) == (None, None)  # the year's list is not published until its cases are decided
    finally:
        engine.dispose()
        drop()
