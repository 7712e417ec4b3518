"""Issue 12, fifteenth round: `voucher_project` takes its turn at the write lock with Core statements: it reads the
case's result alone, merges the workflow's view of the voucher into result["voucher"] (keeping what else the result
holds) and closes the case's open deadlines when the voucher has ended. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from temporalio.exceptions import ApplicationError

from activities.voucher import VoucherActivities
from db.engine import make_engine, migrate
from db.models import Case, Deadline
from tests.conftest import PG_URL, _fresh_pg
from workflows.voucher_types import VoucherProjection

AT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
CASE, OTHER = "VC-2026-project", "VC-2026-other"

pytestmark = pytest.mark.pg


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    url, drop = _fresh_pg(PG_URL) if PG_URL else (f"sqlite:///{tmp_path / 't.db'}", lambda: None)
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as s:
        for cid in (CASE, OTHER):
            s.add(Case(id=cid, type="voucher", status="in_service", title="服务券：投影", applicant="投影", data={},
                       result={"fund": {"year": 2026}, "voucher": {"status": "issued", "voucher_no": "NX-1"}},
                       created_at=AT, updated_at=AT))
            s.add(Deadline(case_id=cid, name="validity", event_at=AT, closes_at=AT + timedelta(days=90)))
        s.commit()
    yield engine
    engine.dispose()
    drop()


def case(engine: Any, cid: str = CASE) -> tuple[Case, list[bool]]:
    with Session(engine) as s:
        row = s.get(Case, cid)
        assert row is not None
        return row, [d.open for d in s.exec(select(Deadline).where(Deadline.case_id == cid))]


def test_the_projection_is_merged_into_the_result_and_a_retry_changes_nothing(engine: Any) -> None:
    acts = VoucherActivities(engine=engine)
    later = AT + timedelta(hours=1)
    inp = VoucherProjection(case_id=CASE, voucher={"status": "in_service", "provider": "向量"}, at=later)
    acts.project(inp)
    acts.project(inp)
    row, open_ = case(engine)
    assert row.result == {"fund": {"year": 2026},
                          "voucher": {"status": "in_service", "voucher_no": "NX-1", "provider": "向量"}}
    assert row.updated_at == later and open_ == [True]


def test_an_ended_voucher_closes_its_own_case_deadlines_only(engine: Any) -> None:
    VoucherActivities(engine=engine).project(VoucherProjection(case_id=CASE, voucher={"status": "settled"}, at=AT))
    assert case(engine)[1] == [False] and case(engine, OTHER)[1] == [True]
    assert case(engine)[0].result["voucher"] == {"status": "settled", "voucher_no": "NX-1"}


def test_a_missing_case_is_a_rule_violation(engine: Any) -> None:
    with pytest.raises(ApplicationError) as err:
        VoucherActivities(engine=engine).project(VoucherProjection(case_id="VC-2026-none", voucher={}, at=AT))
    assert err.value.type == "RuleViolation"
