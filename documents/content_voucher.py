"""Content builders of the service-voucher process (P1) and provider filing (P2)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from documents.content_common import (
    ISSUERS,
    VOUCHER_RULES_2016,
    VOUCHER_RULES_2017,
    cn_ordinal,
    fen_to_yuan_str,
    issuer_name,
    numbered_table,
    official,
    per_cent,
    sentence,
    sign_off,
)
from documents.model import FormDocument, Heading, OfficialDocument, Paragraph, Table, format_cn_date

_FIELD_WIDTHS = [46.0, 110.0]  # label / value columns of a form table, together the 156 mm 版心


@dataclass(frozen=True)
class VoucherStatRow:
    """One line of the monthly statistics: a category or city with its issued and settled vouchers."""

    label: str
    issued_count: int
    issued_fen: int
    settled_count: int
    settled_fen: int


def provider_filing_notice(
    *,
    number: int,
    year: int,
    issued_on: date,
    provider_name: str,
    categories: Sequence[str],
    service_items: Sequence[tuple[str, int]],
    filed_on: date,
    cc: Sequence[str] = (),
) -> OfficialDocument:
    """Notice that a signed provider is filed (备案), with its categories and priced items (003 art. 4, 8; 000 四)."""
    operator = issuer_name("operator")
    blocks = [
        Paragraph(
            text=f"你中心报送的{provider_name}签约服务机构认定材料收悉。根据{VOUCHER_RULES_2016}第四条、第八条规定，"
            f"经你中心真实性、合规性审核和专家综合审定，{provider_name}符合签约服务机构条件，予以备案，"
            f"备案日期为{format_cn_date(filed_on)}。现将有关事项通知如下："
        ),
        Heading(level=1, text="一、服务类别"),
        Paragraph(text=f"{provider_name}备案的服务类别为：{'、'.join(categories)}。"),
        Heading(level=1, text="二、服务项目及价格"),
        Paragraph(text="备案的服务项目及价格见下表。签约服务机构应按备案的项目和价格为小微企业提供服务。"),
        numbered_table(["服务项目", "价格"], [[name, fen_to_yuan_str(price)] for name, price in service_items]),
        Heading(level=1, text="三、有关要求"),
        Paragraph(text="（一）请你中心在自治区中小企业公共服务平台签约服务机构名录中予以公布。"),
        Paragraph(
            text="（二）签约服务机构实行年度审核和评星定级，依据审核结果和企业满意度评价动态调整；"
            "服务合同存在恶意串通、弄虚作假的，取消其签约服务机构服务资格，并作为不良信用记入服务档案。"
        ),
    ]
    return official(
        kind="provider_filing_notice",
        issuer="department",
        number=number,
        year=year,
        title=f"关于{provider_name}签约服务机构备案的通知",
        recipients=f"{operator}：",
        blocks=blocks,
        issued_on=issued_on,
        cc=cc,
    )


def voucher_certificate(
    *,
    voucher_no: str,
    enterprise_name: str,
    provider_name: str,
    category: str,
    service_item: str,
    contract_amount_fen: int,
    voucher_amount_fen: int,
    issued_on: date,
    valid_until: date,
    policy_title: str,
) -> FormDocument:
    """The named electronic service voucher (电子服务券) the operator issues (003 art. 2, 9(2), 11(3))."""
    if not 0 < voucher_amount_fen <= contract_amount_fen:
        raise ValueError("the voucher amount must be positive and not exceed the contract amount")
    rows = [
        ["服务券编号", voucher_no],
        ["持券企业", enterprise_name],
        ["签约服务机构", provider_name],
        ["服务项目", f"{category}：{service_item}"],
        ["服务合同金额", fen_to_yuan_str(contract_amount_fen)],
        ["服务券面值", fen_to_yuan_str(voucher_amount_fen)],
        ["企业自付金额", fen_to_yuan_str(contract_amount_fen - voucher_amount_fen)],
        ["有效期", f"{format_cn_date(issued_on)}至{format_cn_date(valid_until)}"],
        ["适用政策", policy_title],
        # The notes sit in the table, in 4号, so that the voucher, its 落款 and seal fit on one sheet.
        ["使用须知", "1．本券为记名电子服务券，仅限持券企业向上列签约服务机构购买上列服务项目，不得转让、流通和挪作他用。\n"
                     "2．本券按面值抵扣等额合同款，应在有效期内使用，过期作废。\n"
                     "3．服务合同存在恶意串通、弄虚作假的，本券作废，相关企业及责任人作为不良信用记入服务档案。"],
    ]
    blocks = [
        Table(headers=[], rows=rows, col_widths_mm=_FIELD_WIDTHS),
        sign_off(f"{issuer_name('operator')}（盖章）", issued_on),  # the seal goes over the issuer's name
    ]
    return FormDocument(
        kind="voucher_certificate", title="小微企业服务补贴券", blocks=blocks, date=issued_on, serial=voucher_no
    )


def three_party_contract(
    *,
    contract_no: str,
    enterprise_name: str,
    provider_name: str,
    category: str,
    service_item: str,
    service_content: str,
    contract_amount_fen: int,
    voucher_amount_fen: int | None,
    policy: str,
    policy_title: str,
    signed_on: date,
    perform_until: date,
    voucher_no: str | None = None,
) -> FormDocument:
    """The enterprise-operator-provider contract; policy "2016" adds the deposit clause (003 art. 9-11; 000 五, 七)."""
    if policy not in ("2016", "2017"):
        raise ValueError(f"unknown voucher policy {policy!r}")
    # 003 art. 9(一): under 2016 the contract is signed before the application, so the voucher is not yet known
    if voucher_amount_fen is not None and not 0 < voucher_amount_fen <= contract_amount_fen:
        raise ValueError("the voucher amount must be positive and not exceed the contract amount")
    operator = ISSUERS["operator"][0]
    own_share = (fen_to_yuan_str(contract_amount_fen - voucher_amount_fen) if voucher_amount_fen is not None
                 else "（合同金额扣除服务券面值后的部分）")
    voucher = f"服务券（编号{voucher_no}）" if voucher_no else "服务券"
    if policy == "2016":
        payment = f"甲方应于本合同签订之日将其余服务费{own_share}以保证金方式暂付给丙方，由丙方在结算时一并支付给乙方。"
    else:
        payment = f"其余服务费{own_share}由甲方按约定直接支付给乙方，乙方向甲方开具发票。"
    blocks = [
        Paragraph(text=f"甲方（服务需求方）：{enterprise_name}", indent_first_line=False),
        Paragraph(text=f"乙方（签约服务机构）：{provider_name}", indent_first_line=False),
        Paragraph(text=f"丙方（运营单位）：{operator}", indent_first_line=False),
        Paragraph(text=f"根据{policy_title}，三方经协商一致，就甲方使用小微企业服务补贴券购买乙方服务事宜订立本合同。"),
        Heading(level=1, text="一、服务内容"),
        Paragraph(
            text=f"乙方为甲方提供{category}类“{service_item}”服务：{sentence(service_content)}"
            f"乙方应于{format_cn_date(perform_until)}前完成服务。"
        ),
        Heading(level=1, text="二、合同金额与支付"),
        Paragraph(
            text=f"合同总金额{fen_to_yuan_str(contract_amount_fen)}，其中甲方以{voucher}抵扣"
            + (fen_to_yuan_str(voucher_amount_fen) if voucher_amount_fen is not None
               else "的金额以丙方审核后记名发放的服务券面值为准（甲方于本合同签订后在线申请服务券）")
            + f"，由丙方与乙方结算。{payment}"
        ),
        Heading(level=1, text="三、验收、评价与结算"),
        Paragraph(
            text="服务完成后，甲方在自治区中小企业公共服务平台确认服务并评价满意度，评价结果作为结算的重要依据。"
        ),
        Paragraph(  # 003 art. 10: 收费凭证, the operator settles; 000 七: 发票, the department approves first
            text="乙方凭本合同及甲方支付合同款的收费凭证（扣除服务券部分）向丙方申请结算，丙方按要求审核后与乙方进行结算。"
            if policy == "2016" else
            "乙方凭项目完成证明材料、本合同及甲方支付合同款的发票（扣除服务券部分）向丙方申请结算，"
            "丙方初审并报自治区工业和信息化厅核准后予以结算。"
        ),
        Paragraph(text="对未能全面履行合同或甲方不满意的，丙方可根据合同规定调整结算额度。"),
        Heading(level=1, text="四、诚信条款"),
        Paragraph(
            text="合同签订或履行中发现恶意串通、弄虚作假的，服务券作废，取消乙方签约服务机构服务资格，"
            "甲方及责任人作为不良信用记入服务档案，今后不得再次申领服务券。"
        ),
        Heading(level=1, text="五、其他"),
        Paragraph(text="丙方不承接以服务券结算的服务项目。本合同一式三份，三方各执一份，自三方签字盖章之日起生效。"),
        Paragraph(text="（以下无正文）", indent_first_line=False, align="center"),
        Paragraph(text=f"甲方（盖章）：{enterprise_name}", indent_first_line=False),
        Paragraph(text=f"乙方（盖章）：{provider_name}", indent_first_line=False),
        Paragraph(text=f"丙方（盖章）：{operator}", indent_first_line=False),
        Paragraph(text=f"签订日期：{format_cn_date(signed_on)}", indent_first_line=False),
    ]
    return FormDocument(
        kind="three_party_contract",
        title="小微企业服务补贴券三方服务合同",
        blocks=blocks,
        date=signed_on,
        serial=contract_no,
    )


SETTLEMENT_BASIS = {"2016": f"{VOUCHER_RULES_2016}第十条、第十一条", "2017": f"{VOUCHER_RULES_2017}“七、结算”"}


def settlement_statement(
    *,
    statement_no: str,
    voucher_no: str,
    contract_no: str,
    enterprise_name: str,
    provider_name: str,
    service_item: str,
    contract_amount_fen: int,
    voucher_amount_fen: int,
    settled_fen: int,
    satisfaction: str,
    settled_on: date,
    adjustment_reason: str | None = None,
    supervision_fee_fen: int | None = None,
    policy: str = "2016",
) -> FormDocument:
    """The settlement statement of one voucher; a lowered amount must say why (003 art. 10, 11(1), 11(4); 000 七).
    It cites the policy the voucher was issued under: 2016 → 003 art. 10-11, 2017 → 000 七、结算."""
    if policy not in SETTLEMENT_BASIS:
        raise ValueError(f"unknown voucher policy {policy!r}")
    if not 0 <= settled_fen <= voucher_amount_fen:
        raise ValueError("the settled amount must be between 0 and the voucher amount")
    if settled_fen < voucher_amount_fen and not adjustment_reason:
        raise ValueError("a settlement below the voucher amount needs an adjustment_reason")
    rows = [
        ["服务券编号", voucher_no],
        ["合同编号", contract_no],
        ["持券企业", enterprise_name],
        ["签约服务机构", provider_name],
        ["服务项目", service_item],
        ["服务合同金额", fen_to_yuan_str(contract_amount_fen)],
        ["服务券面值", fen_to_yuan_str(voucher_amount_fen)],
        ["企业满意度评价", satisfaction],
        ["核定结算金额", fen_to_yuan_str(settled_fen)],
    ]
    if adjustment_reason:
        rows.append(["调整说明", sentence(adjustment_reason)])
    if supervision_fee_fen is not None:
        rows.append(["服务券监理服务费", fen_to_yuan_str(supervision_fee_fen)])
    # In the table, so the statement fits one sheet. The department's approval is 000 七's (2017); under 003 art. 10
    # (2016) the operator settles alone.
    rows.append(["结算依据", f"依据{SETTLEMENT_BASIS[policy]}，经运营单位初审、自治区工业和信息化厅核准，"
                           "按核定结算金额与签约服务机构结算。" if policy == "2017" else
                 f"依据{SETTLEMENT_BASIS[policy]}第（一）项，经运营单位审核，按核定结算金额与签约服务机构结算。"])
    blocks = [
        Table(headers=[], rows=rows, col_widths_mm=_FIELD_WIDTHS),
        sign_off(f"{issuer_name('operator')}（盖章）", settled_on),
    ]
    return FormDocument(
        kind="settlement_statement",
        title="小微企业服务补贴券结算单",
        blocks=blocks,
        date=settled_on,
        serial=statement_no,
    )


def _stat_cells(row: VoucherStatRow) -> list[str]:
    """The cells of one statistics line."""
    return [
        row.label,
        str(row.issued_count),
        fen_to_yuan_str(row.issued_fen),
        str(row.settled_count),
        fen_to_yuan_str(row.settled_fen),
    ]


@dataclass(frozen=True)
class ProviderServiceRow:
    """One provider's service: vouchers in service (delivered, not yet settled), settled in the month, and the
    enterprises' satisfaction
    (003 art. 11(4): 定期上报…服务机构服务和企业需求满意度等情况)."""

    provider_name: str
    delivered_count: int
    settled_count: int
    settled_fen: int
    satisfied: int
    basic: int
    unsatisfied: int
    lowered_count: int = 0


def _provider_table(rows: Sequence[ProviderServiceRow]) -> Table:
    """The providers' service and satisfaction table."""
    def rate(r: ProviderServiceRow) -> str:
        rated = r.satisfied + r.basic + r.unsatisfied
        return per_cent(r.satisfied + r.basic, rated) if rated else "—"

    return Table(
        headers=["签约服务机构", "待结算服务（项）", "结算（张）", "结算金额", "满意/基本满意/不满意", "满意率",
                 "核减结算（张）"],
        rows=[[r.provider_name, str(r.delivered_count), str(r.settled_count), fen_to_yuan_str(r.settled_fen),
               f"{r.satisfied}/{r.basic}/{r.unsatisfied}", rate(r), str(r.lowered_count)] for r in rows],
        col_widths_mm=[38.0, 18.0, 14.0, 26.0, 24.0, 16.0, 20.0],
    )


def _total(rows: Sequence[VoucherStatRow]) -> VoucherStatRow:
    """The 合计 line of some statistics lines."""
    return VoucherStatRow(
        label="合计",
        issued_count=sum(row.issued_count for row in rows),
        issued_fen=sum(row.issued_fen for row in rows),
        settled_count=sum(row.settled_count for row in rows),
        settled_fen=sum(row.settled_fen for row in rows),
    )


def _stat_table(first_header: str, rows: Sequence[VoucherStatRow]) -> Table:
    """A statistics table with a 合计 line."""
    return Table(
        headers=[first_header, "发放（张）", "发放金额", "结算（张）", "结算金额"],
        rows=[_stat_cells(row) for row in [*rows, _total(rows)]],
        col_widths_mm=[30.0, 20.0, 43.0, 20.0, 43.0],
    )


# What each policy version says about issuing, settling and reporting vouchers: a report cites the versions its
# vouchers run under (003 art. 12: a case keeps the version in force when it was submitted).
STATISTICS_BASIS = {"2016": f"{VOUCHER_RULES_2016}第十条、第十一条第（四）项",
                    "2017": f"{VOUCHER_RULES_2017}“五、申领流程”“七、结算”"}
POLICY_SHORT = {"2016": "2016年版办法（宁非公经发〔2016〕73号）", "2017": "2017年版办法（宁非公经发〔2017〕101号）"}


def monthly_voucher_statistics(
    *,
    number: int,
    year: int,
    issued_on: date,
    period_year: int,
    period_month: int,
    by_category: Sequence[VoucherStatRow],
    by_city: Sequence[VoucherStatRow],
    fund_total_fen: int,
    burn_down: Sequence[tuple[str, int]],
    cc: Sequence[str] = (),
    providers: Sequence[ProviderServiceRow] | None = None,
    by_policy: Sequence[VoucherStatRow] = (),
    policy_in_force: str = "2016",
) -> OfficialDocument:
    """The operator's monthly report of issuance and settlement by category and city, with the fund (003 art. 10),
    and, when `providers` is given, the providers' service and the enterprises' satisfaction (003 art. 11(4)).

    It cites the policy version each of the month's vouchers runs under (`by_policy`: one line per version code,
    2016 → 003, 2017 → 000), each line of the 分政策版本 table with its own basis; a month without vouchers cites the
    version in force on the report's day."""
    if not burn_down:
        raise ValueError("burn_down needs at least the current period")
    unknown = {r.label for r in by_policy} - set(STATISTICS_BASIS) | ({policy_in_force} - set(STATISTICS_BASIS))
    if unknown:
        raise ValueError(f"unknown voucher policy {sorted(unknown)}; known: {', '.join(STATISTICS_BASIS)}")
    period = f"{period_year}年{period_month}月"
    total = _total(by_category)
    remaining = burn_down[-1][1]
    cited = [r.label for r in sorted(by_policy, key=lambda r: r.label)] or [policy_in_force]
    blocks = [
        Paragraph(
            text=f"根据{'和'.join(STATISTICS_BASIS[code] for code in cited)}规定，现将{period}服务券发放和结算情况"
            + ("及服务机构服务和企业满意度情况" if providers is not None else "") + "报告如下："
        ),
        Heading(level=1, text="一、总体情况"),
        Paragraph(
            text=f"{period}共发放服务券{total.issued_count}张，金额{fen_to_yuan_str(total.issued_fen)}；"
            f"结算{total.settled_count}张，金额{fen_to_yuan_str(total.settled_fen)}。"
            f"年度服务券资金{fen_to_yuan_str(fund_total_fen)}，截至本月末剩余{fen_to_yuan_str(remaining)}，"
            f"占年度资金的{per_cent(remaining, fund_total_fen)}。"
        ),
        Heading(level=1, text="二、分服务类别情况"),
        _stat_table("服务类别", by_category),
        Heading(level=1, text="三、分地区情况"),
        _stat_table("地区", by_city),
        Heading(level=1, text="四、资金使用进度"),
        Table(
            headers=["期间", "剩余资金", "占年度资金比例"],
            rows=[[label, fen_to_yuan_str(left), per_cent(left, fund_total_fen)] for label, left in burn_down],
        ),
    ]
    section = 5
    if by_policy:  # each voucher under the version it runs under, with that version's articles
        lines = sorted(by_policy, key=lambda r: r.label)
        blocks.append(Heading(level=1, text=f"{cn_ordinal(section)}、分政策版本情况"))
        blocks.append(Paragraph(text="；".join(
            f"按{POLICY_SHORT[r.label]}办理的发放{r.issued_count}张、结算{r.settled_count}张，"
            f"依据{STATISTICS_BASIS[r.label]}" for r in lines) + "。"))
        blocks.append(Table(headers=["适用政策", "发放（张）", "发放金额", "结算（张）", "结算金额"],
                            rows=[_stat_cells(VoucherStatRow(POLICY_SHORT[r.label], r.issued_count, r.issued_fen,
                                                             r.settled_count, r.settled_fen)) for r in lines],
                            col_widths_mm=[50.0, 18.0, 35.0, 18.0, 35.0]))
        section += 1
    if providers is not None:  # 003 art. 11(4): 服务机构服务和企业需求满意度等情况
        blocks.append(Heading(level=1, text=f"{cn_ordinal(section)}、服务机构服务和企业满意度情况"))
        if providers:
            rated = [(r.satisfied, r.basic, r.unsatisfied) for r in providers]
            unsatisfied = sum(u for _, _, u in rated)
            blocks.append(Paragraph(
                text=f"{period}共有{len(providers)}家签约服务机构有已完成待结算或已结算的服务，"
                f"企业评价满意{sum(s for s, _, _ in rated)}项、"
                f"基本满意{sum(b for _, b, _ in rated)}项、不满意{unsatisfied}项。"
                + ("对企业不满意或未全面履行合同的，运营单位已依合同调整结算额度。" if unsatisfied else "")))
            blocks.append(_provider_table(providers))
        else:
            blocks.append(Paragraph(text=f"{period}没有签约服务机构结算服务，也没有待结算的服务。"))
    blocks.append(Paragraph(text="特此报告。"))
    return official(
        kind="monthly_voucher_statistics",
        issuer="operator",
        number=number,
        year=year,
        title=f"关于{period}小微企业服务补贴券发放和结算情况的报告",
        recipients=f"{issuer_name('department')}：",
        blocks=blocks,
        issued_on=issued_on,
        cc=cc,
    )


VOID_BASIS = {"2016": f"{VOUCHER_RULES_2016}第十一条第（一）项", "2017": f"{VOUCHER_RULES_2017}“六、使用规定”"}


def voucher_void_decision(
    *,
    number: int,
    year: int,
    issued_on: date,
    voucher_no: str | None,
    enterprise_name: str,
    provider_name: str | None,
    service_item: str,
    voucher_amount_fen: int | None,
    reason: str,
    cc: Sequence[str] = (),
    issuer: str = "operator",
    policy: str = "2016",
) -> OfficialDocument:
    """Decision voiding a voucher for collusion or falsification, with the sanctions of the policy the voucher runs
    under (2016: 003 art. 11(1); 2017: 000 六、使用规定). The operating unit's own document (运营单位可取消服务券的发放,
    003 art. 11(1)) to the parties, the department informed (抄送); or, when the department voided it as the
    supervising body, the department's to the operator, which executes it."""
    if policy not in VOID_BASIS:
        raise ValueError(f"unknown voucher policy {policy!r}; known: {', '.join(VOID_BASIS)}")
    operator = issuer_name("operator")
    subject = f"服务券{voucher_no}" if voucher_no else f"“{service_item}”服务券申请"
    amount = f"（面值{fen_to_yuan_str(voucher_amount_fen)}）" if voucher_amount_fen else ""
    parties = f"{enterprise_name}与{provider_name}" if provider_name else enterprise_name
    blocks = [
        Paragraph(text=f"{enterprise_name}持有（申领）的{subject}{amount}，服务项目为“{service_item}”。"),
        Paragraph(text=f"经查，{sentence(reason)}"),
        Paragraph(
            text=f"根据{VOID_BASIS[policy]}的规定，经研究，决定：{subject}作废，"
            "已预留或拨付的服务券资金退回年度服务券资金；"
            + (f"取消{provider_name}签约服务机构资格；" if provider_name else "")
            + f"{enterprise_name}及其责任人作为不良信用记入服务档案，不得再次申领服务券。"
        ),
        Paragraph(text=f"请{operator}在自治区中小企业公共服务平台上执行本决定，并告知{parties}。"
                  if issuer == "department"
                  else f"本决定由{operator}依据上述规定作出，已在自治区中小企业公共服务平台上执行，"
                  f"并告知{issuer_name('department')}。"),
    ]
    return official(
        kind="voucher_void_decision",
        issuer=issuer,
        number=number,
        year=year,
        title=f"关于作废{subject}的决定",
        recipients=f"{operator}：" if issuer == "department" else f"{parties.replace('与', '、')}：",
        blocks=blocks,
        issued_on=issued_on,
        cc=cc if issuer == "department" else (issuer_name("department"), *cc),
    )
