"""Who may be a signed service provider (签约服务机构; seed 000 四, seed 003 art. 4 and 8).

000 四 names three ways in:
1. "在我区注册和登记纳税的具有独立法人资格…专业服务机构": registered and paying tax in Ningxia, an independent legal
   person;
2. "…或具有国家规定的执业许可资格专业服务机构": registered and paying tax in Ningxia, a body holding the practice
   licence the state prescribes (a law firm is a partnership, not a legal person);
3. "在我区登记备案的区外专业服务机构的独立办事机构或合作机构应依法经营1年（含）以上": the Ningxia office of an
   out-of-region provider, operating 1 year or more;
and "自治区中小企业公共服务平台网络各级平台直接视为签约服务机构": the platforms of the network are signed providers
by rule, without an application (not an admission case).

Categories whose services the state licenses need the practice licence whatever the way in: legal services (律师事务所
执业许可证, 律师法 art. 18) and intellectual property agency (专利代理机构执业许可证, 专利代理条例 art. 9). The seed
does not list them; this list is the house reading, kept as data.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

from rules.certification import add_years
from rules.errors import RuleViolation
from rules.uscc import is_ningxia

Basis = Literal["ningxia_legal_person", "licensed_body", "out_of_region_office"]
BASIS_ZH: dict[str, str] = {
    "ningxia_legal_person": "在我区注册和登记纳税的独立法人",
    "licensed_body": "在我区注册和登记纳税、具有国家规定执业许可资格的专业服务机构",
    "out_of_region_office": "在我区登记备案的区外专业服务机构的独立办事机构或合作机构",
}
LICENSED_CATEGORIES: dict[str, str] = {"legal": "律师事务所执业许可证", "ip": "专利代理机构执业许可证"}
OFFICE_MIN_YEARS = 1  # 000 四: 依法经营1年（含）以上
BASIS_ARTICLE = "000 四"


class ProviderError(RuleViolation):
    """The provider cannot be signed (000 四); `code` names the unmet condition."""


@dataclass(frozen=True)
class ProviderFacts:
    """What the admission form declares and the registration recorded."""

    basis: str
    uscc: str
    independent_legal_person: bool
    pays_tax_in_ningxia: bool
    has_practice_licence: bool
    office_since: date | None
    categories: Sequence[str]


def _in_ningxia(uscc: str) -> bool:
    try:
        return is_ningxia(uscc)
    except ValueError:
        return False


def problems(facts: ProviderFacts, *, today: date) -> list[tuple[str, str]]:
    """Every unmet condition of 000 四, as (code, Chinese message); empty = eligible."""
    out: list[tuple[str, str]] = []
    if facts.basis not in get_args(Basis):
        return [("provider_basis_unknown", f"签约资格依据须为：{'、'.join(BASIS_ZH.values())}")]
    if not _in_ningxia(facts.uscc):
        out.append(("provider_not_in_ningxia", "服务机构须在我区注册或登记备案（统一社会信用代码登记管理机关须为宁夏，64开头）"))
    if facts.basis in ("ningxia_legal_person", "licensed_body") and not facts.pays_tax_in_ningxia:
        out.append(("provider_not_paying_tax", "服务机构须在我区登记纳税"))
    if facts.basis == "ningxia_legal_person" and not facts.independent_legal_person:
        out.append(("provider_not_legal_person", "服务机构须具有独立法人资格，或具有国家规定的执业许可资格"))
    if facts.basis == "licensed_body" and not facts.has_practice_licence:
        out.append(("provider_licence_missing", "以执业许可资格申请的，须提交国家规定的执业许可证明"))
    if facts.basis == "out_of_region_office":
        if facts.office_since is None:
            out.append(("provider_office_too_new", "区外机构的驻宁办事机构须注明在我区依法经营的起始日期"))
        elif today < add_years(start=facts.office_since, years=OFFICE_MIN_YEARS):
            out.append(("provider_office_too_new", f"区外机构的驻宁办事机构须依法经营1年（含）以上，"
                        f"自{facts.office_since.isoformat()}起不满1年"))
    licensed = [LICENSED_CATEGORIES[c] for c in facts.categories if c in LICENSED_CATEGORIES]
    if licensed and not facts.has_practice_licence:
        out.append(("provider_licence_missing", f"所申请的服务类别须具有国家规定的执业许可资格：{'、'.join(licensed)}"))
    return out


def check(facts: ProviderFacts, *, today: date) -> None:
    """Raise on the first unmet condition of 000 四 (the message lists them all)."""
    found = problems(facts, today=today)
    if found:
        raise ProviderError(found[0][0], "；".join(m for _, m in found))



# --- the yearly signing (000 四 "平台每年经过评审，择优确定各服务类型的服务机构") -----------------------------------------

SIGNING_TERM_YEARS = 1
# The seed fixes no date for the yearly review; the round opens the re-reviews on 1 December for every signed provider
# whose term ends within the next twelve months, so they are decided before the terms end.
ROUND_MONTH = 12


def term_ends(*, start: date) -> date:
    """Last day of a signing term begun on `start`: one year on, to the end of that month (the monthly sweep of the
    1st then ends it exactly on time; 000 四 每年经过评审)."""
    anniversary = add_years(start=start, years=SIGNING_TERM_YEARS)
    return anniversary.replace(day=calendar.monthrange(anniversary.year, anniversary.month)[1])


def renewed_until(*, filed_on: date, current_until: date | None) -> date:
    """A re-review filed: the new year runs on from the current term's end (or from the filing if it has ended)."""
    if current_until is None or current_until < filed_on:
        return term_ends(start=filed_on)
    return term_ends(start=current_until + timedelta(days=1))


def term_ended(signed_until: date | None, *, today: date) -> bool:
    """A term ended before `today` (a network platform, signed by rule, has no term)."""
    return signed_until is not None and signed_until < today


def due_for_round(signed_until: date | None, *, round_day: date) -> bool:
    """Whether the round of `round_day` re-reviews this provider: its term ends before the next year's round."""
    return signed_until is not None and signed_until < add_years(start=round_day, years=1)


def round_month(month: int) -> bool:
    """The monthly sweep of this month opens the yearly round (000 四 每年经过评审)."""
    return month == ROUND_MONTH
