"""Issue 13 (b) through the database: a fund operation of the fund year (cap of 000 二) promotes a waiting 2016
application only under its case's policy cap (003 art. 6), read from `case.policy_version`."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from db import fund as fund_repo
from db.engine import session_scope
from db.models import Case, FundReservation
from rules.voucher import POLICIES

YEAR = 2097
AT = datetime(YEAR, 3, 1, tzinfo=UTC)
CAP_YEAR = POLICIES["2017"].per_enterprise_year_cap_fen


def test_003_art_6_a_release_promotes_a_2016_enterprise_only_up_to_5000_yuan(engine: Engine) -> None:
    with session_scope(engine) as s:
        for cid, version in (("FP-B", "2017"), ("FP-A1", "2016"), ("FP-A2", "2016")):
            s.add(Case(id=cid, type="voucher", status="in_review", policy_version=version, created_at=AT, updated_at=AT))
        s.flush()
        fund_repo.lock_year(s, year=YEAR, at=AT)
        fund_repo.set_total(s, year=YEAR, total_fen=1_000_000, cap_fen=CAP_YEAR, actor="test", at=AT)
        common = {"year": YEAR, "specialized": False, "credit_rating": None, "submitted_at": AT, "cap_fen": CAP_YEAR,
                  "at": AT}
        assert fund_repo.reserve(s, case_id="FP-B", enterprise_org_id=9002, amount_fen=1_000_000,
                                 case_cap_fen=CAP_YEAR, **common).state == "reserved"
        for cid in ("FP-A1", "FP-A2"):
            assert fund_repo.reserve(s, case_id=cid, enterprise_org_id=9001, amount_fen=400_000,
                                     case_cap_fen=POLICIES["2016"].per_enterprise_year_cap_fen, **common
                                     ).state == "waitlisted"
        change = fund_repo.close(s, year=YEAR, case_id="FP-B", as_state="released", cap_fen=CAP_YEAR, at=AT)
        assert change.promoted == ("FP-A1",)
        assert s.get(FundReservation, "FP-A2").state == "waitlisted"  # type: ignore[union-attr]
