"""Certification's I/O: experts for a case, the grant with its validity, named deadlines, result figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.exceptions import ApplicationError

from activities.definition import defn
from db import audit, deadlines
from db import certification as repo
from db import documents as doc_repo
from db.calendar import load_calendar
from db.engine import session_scope
from db.models import Case
from rules.calendar import SHANGHAI
from rules.calendar import end_of_day_utc as end_of
from rules.certification import expiry_reminder_days, valid_until
from rules.certification_lists import BatchCase, batch_key, candidates, granted, list_ready, notices_over
from rules.policies import policy_for
from workflows.certification_types import (
    BatchDoc,
    BatchDocInput,
    Granted,
    GrantInput,
    ListInput,
    ListState,
    Prepared,
    PrepareInput,
)
from workflows.types import DocumentRef

DEFAULT_EXPERTS = 3


@dataclass
class CertificationActivities:
    engine: Engine
    store: Path = field(default_factory=lambda: Path("documents"))

    @defn(name="prepare_certification")
    def prepare_certification(self, inp: PrepareInput) -> Prepared:
        """Name the experts once (the call's number, default 3), spread over the pool by the case id."""
        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None:
                raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
            if not case.policy_version:  # the version the case runs under; its documents cite it
                case.policy_version = policy_for("certification").code
            experts = case.result.get("experts")
            if not experts:
                pool = repo.active_experts(s)
                call = repo.call_of_case(s, case)
                n = min(call.experts if call else DEFAULT_EXPERTS, len(pool))
                if n == 0:
                    raise ApplicationError("there is no active expert to review the application", type="RuleViolation")
                start = sum(case.id.encode()) % len(pool)
                experts = [pool[(start + i) % len(pool)] for i in range(n)]
                case.result = {**case.result, "experts": experts}
                audit.record(s, action="experts", at=inp.at, case_id=case.id, message=f"指定评审专家{n}名",
                             key=f"{case.id}.experts")
            return Prepared(experts=list(experts), platform_name=case.data.get("platform_name", case.applicant),
                            applicant=case.applicant)

    @defn(name="grant_certification")
    def grant_certification(self, inp: GrantInput) -> Granted:
        """The title runs 3 years from the grant (002 art. 17); kept as the case's `validity` deadline."""
        with session_scope(self.engine) as s:
            granted_on = inp.at.astimezone(SHANGHAI).date()
            row = deadlines.deadline(s, inp.case_id, "validity")
            if row is not None:  # a retry: the grant was recorded already
                granted_on = row.event_at.astimezone(SHANGHAI).date()
                return Granted(granted_on=granted_on, valid_until=valid_until(granted_on=granted_on),
                               expires_at=row.closes_at, reminder_days=_reminders(s, inp.case_id))
            until = valid_until(granted_on=granted_on)
            expires = end_of(until)
            cal = load_calendar(s)
            confirmed = all(cal.schedule(y).confirmed for y in range(granted_on.year, until.year + 1)
                            if _has(cal, y))
            deadlines.upsert_deadline(s, case_id=inp.case_id, name="validity", event_at=inp.at, closes_at=expires,
                                 working_days=None, confirmed=confirmed)
            return Granted(granted_on=granted_on, valid_until=until, expires_at=expires,
                           reminder_days=_reminders(s, inp.case_id))


    # --- the year's lists (002 art. 10, 12, 13) ----------------------------------------------------------------

    @defn(name="join_certification_list")
    def join_certification_list(self, inp: ListInput) -> ListState:
        """The case joins (candidate) or leaves its year's batch; the list is published the moment no case of the
        year is still before the decision (rules.certification_lists.list_ready). Idempotent: once published, the
        published list is returned."""
        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None:
                raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
            call = repo.call_of_case(s, case)
            if call is None:  # a case without a call (before calls existed) is its own list, as before
                return ListState(year=None, published=True, case_ids=[case.id] if inp.candidate else [])
            rounds = [list(r) for r in (call.list_case_ids or [])]
            for n, listed in enumerate(rounds, start=1):
                if case.id in listed:  # published already (a retry, a recheck)
                    return ListState(year=call.year, published=True, case_ids=listed, round=n)
            done = {i for r in rounds for i in r}
            batch = [BatchCase(c.id, "listed" if (c.id == case.id and inp.candidate) else c.status,
                               c.closed_at is not None) for c in repo.batch_cases(s, call.year) if c.id not in done]
            leaving = None if inp.candidate else case.id
            batch = [b for b in batch if b.case_id != leaving]
            if not list_ready(batch):
                return ListState(year=call.year, published=False)
            listed = candidates(batch)
            rounds.append(listed)
            call.list_case_ids = rounds
            call.list_published_at = call.list_published_at or inp.at
            n = len(rounds)
            audit.record(s, action="certification_list", at=inp.at, case_id=case.id,
                         message=f"{call.year}年度示范平台拟认定名单{'' if n == 1 else f'（第{n}批，补充）'}公示"
                                 f"（{len(listed)}家）",
                         after={"year": call.year, "round": n, "case_ids": listed}, key=f"certification.{call.year}.list.{n}")
            return ListState(year=call.year, published=True, case_ids=listed, round=n)

    @defn(name="draft_certification_batch_document")
    def draft_certification_batch_document(self, inp: BatchDocInput) -> BatchDoc:
        """Draft the year's document once (keyed by the year; a retry or another case of the batch finds it):
        the 拟认定名单 notice, a city's summary report (one version per number of recommended platforms: it is
        redrawn as the city recommends more), or the certification notice once every listed case is out of its
        notice (none yet: id None)."""
        from activities.certification_documents import (
            batch_certification_notice,
            batch_city_summary,
            batch_public_notice,
        )
        from activities.documents import store_document

        with session_scope(self.engine) as s:
            case = s.get(Case, inp.case_id)
            if case is None:
                raise ApplicationError(f"case {inp.case_id} does not exist", type="RuleViolation")
            call = repo.call_of_case(s, case)
            if call is None:
                return BatchDoc()
            day = inp.at.astimezone(SHANGHAI).date()
            if inp.kind == "city_summary":
                batch = repo.batch_cases(s, call.year)
                recs = repo.recommendations(s, [c.id for c in batch if c.city == case.city])
                rows = [(c, recs[c.id]) for c in batch if c.id in recs]
                if not rows or not case.city:
                    return BatchDoc()
                key = f"certification.{call.year}.city_summary.{case.city}.{len(rows)}"
                existing = doc_repo.by_key(s, key)
                if existing is not None:
                    return BatchDoc(id=existing.id, doc_number=existing.doc_number)
                ref = store_document(s, self.store, batch_city_summary(rows, year=call.year, city=case.city, day=day),
                                     key=key, kind="city_summary", case_id=None, at=inp.at)
                return _doc(ref)
            rounds = [list(r) for r in (call.list_case_ids or [])]
            n = next((k for k, r in enumerate(rounds, start=1) if case.id in r), 0)
            if n == 0:
                return BatchDoc()
            listed = [c for c in (s.get(Case, i) for i in rounds[n - 1]) if c is not None]
            key = batch_key(call.year, inp.kind, n)
            existing = doc_repo.by_key(s, key)
            if existing is not None:
                return BatchDoc(id=existing.id, doc_number=existing.doc_number)
            if inp.kind == "public_notice":
                doc = batch_public_notice(listed, year=call.year, day=day, params=dict(inp.params))
            elif inp.kind == "certification_notice":
                states = [BatchCase(c.id, c.status, c.closed_at is not None) for c in listed]
                if not listed or not notices_over(states) or not granted(states):
                    return BatchDoc()
                periods = [d for d in (deadlines.deadline(s, c.id, "public_notice") for c in listed) if d is not None]
                starts = min((d.event_at.astimezone(SHANGHAI).date() for d in periods), default=day)
                ends = max((d.closes_at.astimezone(SHANGHAI).date() for d in periods), default=day)
                ids = set(granted(states))
                doc = batch_certification_notice([c for c in listed if c.id in ids], year=call.year, day=day,
                                                 starts_on=date.fromordinal(starts.toordinal() + 1),
                                                 ends_on=date.fromordinal(ends.toordinal() - 1)
                                                 if periods else day)
            else:
                raise ApplicationError(f"no yearly document {inp.kind}", type="RuleViolation")
            return _doc(store_document(s, self.store, doc, key=key, kind=inp.kind, case_id=None, at=inp.at))


def _doc(ref: DocumentRef) -> BatchDoc:
    return BatchDoc(id=ref.id, doc_number=ref.doc_number)



def _has(cal: object, year: int) -> bool:
    try:
        cal.schedule(year)  # type: ignore[attr-defined]
    except Exception:
        return False
    return True


def _reminders(s: Session, case_id: str) -> list[int]:
    """The expiry reminder days of the call the case applied under (002 art. 17; 180 and 30 by default)."""
    call = repo.call_of_case(s, s.get(Case, case_id))
    return list(expiry_reminder_days(call.expiry_reminder_days if call else None))
