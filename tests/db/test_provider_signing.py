"""The yearly signing sweep's database side (000 四 "平台每年经过评审，择优确定"; 001 三(三)10): terms end, network
platforms are signed by rule, the round opens one re-review case per provider whose term ends before the next round,
and a filed re-review extends the term by a year."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from activities.provider_admission import ProviderAdmissionActivities
from db.models import Case, Organization, User
from workflows.provider_admission_types import SweepAt
from workflows.types import FileProviderInput


def _provider(s: Session, *, until: date | None, signed: bool = True, kind: str = "provider") -> Organization:
    org = Organization(kind=kind, name=f"宁夏签约测试{uuid.uuid4().hex[:8]}有限公司", city="yinchuan",
                       categories=["credit"], signed=signed, signed_until=until, created_at=datetime.now(UTC))
    s.add(org)
    s.flush()
    s.add(User(username=f"u{uuid.uuid4().hex[:10]}", password_hash="x", role=kind if kind == "provider" else
               "platform_org", org_id=org.id, created_at=datetime.now(UTC)))
    s.commit()
    s.refresh(org)
    return org


def test_an_ended_term_is_ended_on_the_first_of_the_month(engine: Engine) -> None:
    """000 四: the signed status has a year's term; on the 1st after it ends the provider leaves the signed list."""
    acts = ProviderAdmissionActivities(engine=engine)
    with Session(engine) as s:
        ended, running = _provider(s, until=date(2031, 6, 30)), _provider(s, until=date(2031, 7, 31))
        ended_id, running_id = ended.id, running.id
    swept = acts.provider_signing_sweep(SweepAt(year=2031, month=7, at=datetime(2031, 6, 30, 16, tzinfo=UTC)))
    assert ended_id in swept.ended and running_id not in swept.ended and swept.renewals == []
    with Session(engine) as s:
        assert s.get(Organization, ended_id).signed is False  # type: ignore[union-attr]
        assert s.get(Organization, running_id).signed is True  # type: ignore[union-attr]
    again = acts.provider_signing_sweep(SweepAt(year=2031, month=7, at=datetime(2031, 6, 30, 16, tzinfo=UTC)))
    assert ended_id not in again.ended  # idempotent


def test_the_december_round_opens_one_re_review_per_provider_due(engine: Engine) -> None:
    """000 四 每年经过评审: in December every provider whose term ends within a year gets a re-review case (once);
    a filed re-review runs on a year from the current term's end."""
    acts = ProviderAdmissionActivities(engine=engine)
    with Session(engine) as s:
        due, later = _provider(s, until=date(2033, 6, 30)), _provider(s, until=date(2034, 1, 31))
        due_id, later_id = due.id, later.id
    at = datetime(2032, 11, 30, 16, tzinfo=UTC)  # 1 December 2032, 00:00 in Shanghai
    swept = acts.provider_signing_sweep(SweepAt(year=2032, month=12, at=at))
    ids = {c.applicant_org_id: c.case_id for c in swept.renewals}
    assert due_id in ids and later_id not in ids
    assert ids[due_id] == f"PA-2032-R{due_id}"
    again = acts.provider_signing_sweep(SweepAt(year=2032, month=12, at=at))
    assert {c.case_id for c in again.renewals} >= {ids[due_id]}  # the same case, not a second one
    with Session(engine) as s:
        case = s.get(Case, ids[due_id])
        assert case is not None and case.result["renewal_of"] is None and case.policy_version == "003-2016"
        assert "年度复评" in case.title
    acts.file_provider(FileProviderInput(case_id=ids[due_id], at=datetime(2033, 1, 10, 2, tzinfo=UTC)))
    with Session(engine) as s:
        org = s.get(Organization, due_id)
        assert org is not None and org.signed and org.signed_until == date(2034, 7, 31)


def test_a_connected_window_is_signed_by_rule(engine: Engine) -> None:
    """000 四 "平台网络各级平台直接视为签约服务机构": a connected window platform is signed without a term."""
    acts = ProviderAdmissionActivities(engine=engine)
    now = datetime(2035, 3, 1, tzinfo=UTC)
    with Session(engine) as s:
        org = _provider(s, until=None, signed=False, kind="platform_org")
        case = Case(id=f"WO-2035-{uuid.uuid4().hex[:6]}", type="window_onboarding", status="connected",
                    title="窗口平台接入", applicant=org.name, applicant_org_id=org.id, city="yinchuan",
                    created_at=now, updated_at=now, result={"connected_at": now.isoformat()})
        s.add(case)
        s.commit()
        org_id, case_id = org.id, case.id
    swept = acts.provider_signing_sweep(SweepAt(year=2035, month=3, at=now))
    assert org_id in swept.network_signed
    with Session(engine) as s:
        org = s.get(Organization, org_id)
        assert org is not None and org.signed and org.signed_until is None and org.signed_source == f"network:{case_id}"
        s.get(Case, case_id).status = "disconnected"  # type: ignore[union-attr]
        s.commit()
    acts.provider_signing_sweep(SweepAt(year=2035, month=4, at=now))
    with Session(engine) as s:
        assert s.get(Organization, org_id).signed is False  # type: ignore[union-attr]

