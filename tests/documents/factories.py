"""Plain factories: one sample document per content builder, with fixed data."""

from datetime import date

from documents import content
from documents.model import Document, format_certificate_no

ISSUED = date(2026, 1, 5)


def provider_filing_notice() -> Document:
    """A filing notice with two priced service items."""
    return content.provider_filing_notice(
        number=12,
        year=2026,
        issued_on=ISSUED,
        provider_name="宁夏向量信息技术有限公司",
        categories=["云服务", "信息化服务"],
        service_items=[("云主机租用（一年）", 360000), ("财务软件定制开发", 1234567)],
        filed_on=date(2026, 1, 4),
        cc=["自治区财政厅"],
    )


def voucher_certificate() -> Document:
    """A voucher of 3,000 yuan on a 6,000 yuan contract."""
    return content.voucher_certificate(
        voucher_no="FWQ-2026-000123",
        enterprise_name="银川市示例科技有限公司",
        provider_name="宁夏向量信息技术有限公司",
        category="云服务",
        service_item="云主机租用（一年）",
        contract_amount_fen=600000,
        voucher_amount_fen=300000,
        issued_on=ISSUED,
        valid_until=date(2026, 7, 4),
        policy_title="《宁夏回族自治区小微企业服务补贴券业务管理暂行办法》",
    )


def three_party_contract(*, policy: str = "2016") -> Document:
    """A three-party contract under the given policy version."""
    return content.three_party_contract(
        contract_no="HT-2026-0088",
        enterprise_name="银川市示例科技有限公司",
        provider_name="宁夏向量信息技术有限公司",
        category="云服务",
        service_item="云主机租用（一年）",
        service_content="提供4核8G云主机一台，期限一年",
        contract_amount_fen=600000,
        voucher_amount_fen=300000,
        policy=policy,
        policy_title="《宁夏回族自治区小微企业服务补贴券业务管理暂行办法》",
        signed_on=ISSUED,
        perform_until=date(2026, 3, 31),
        voucher_no="FWQ-2026-000123",
    )


def settlement_statement(*, policy: str = "2017") -> Document:
    """A settlement lowered for an unsatisfied enterprise."""
    return content.settlement_statement(
        policy=policy,
        statement_no="JS-2026-0007",
        voucher_no="FWQ-2026-000123",
        contract_no="HT-2026-0088",
        enterprise_name="银川市示例科技有限公司",
        provider_name="宁夏向量信息技术有限公司",
        service_item="云主机租用（一年）",
        contract_amount_fen=600000,
        voucher_amount_fen=300000,
        settled_fen=250000,
        satisfaction=content.SATISFACTION_LABELS["unsatisfied"],
        settled_on=date(2026, 4, 20),
        adjustment_reason="服务响应不及时，合同未全面履行",
        supervision_fee_fen=18000,
    )


def _stat_row(label: str, issued: int, issued_fen: int, settled: int, settled_fen: int) -> content.VoucherStatRow:
    """One statistics line."""
    return content.VoucherStatRow(
        label=label, issued_count=issued, issued_fen=issued_fen, settled_count=settled, settled_fen=settled_fen
    )


def monthly_voucher_statistics() -> Document:
    """A January report with two categories, two cities and a burn-down."""
    rows = [_stat_row("云服务", 10, 3000000, 2, 500000), _stat_row("法律服务", 3, 450000, 0, 0)]
    cities = [_stat_row("银川市", 9, 2500000, 2, 500000), _stat_row("中卫市", 4, 950000, 0, 0)]
    return content.monthly_voucher_statistics(
        number=3,
        year=2026,
        issued_on=date(2026, 2, 3),
        period_year=2026,
        period_month=1,
        by_category=rows,
        by_city=cities,
        fund_total_fen=500000000,
        burn_down=[("2026年1月", 496550000)],
    )


def recommendation_form() -> Document:
    """A recommending form from the Wuzhong bureau."""
    return content.recommendation_form(
        platform_name="吴忠市中小企业综合服务平台",
        applicant_org="吴忠市中小企业服务有限公司",
        city="wuzhong",
        recommended=True,
        opinion="该平台运营规范，服务业绩突出，同意推荐",
        scores={"运营情况": 90, "服务业绩": 88.5, "满意度": 92},
        filled_on=date(2026, 3, 2),
    )


def public_notice() -> Document:
    """A five-working-day notice of proposed demonstration platforms."""
    return content.public_notice(
        number=21,
        year=2026,
        issued_on=date(2026, 5, 8),
        subject="2026年度自治区中小企业公共服务示范平台拟认定名单",
        basis="《宁夏回族自治区中小企业公共服务示范平台认定管理办法》第十二条",
        procedure="经各市工业和信息化局推荐、专家评审和实地考察",
        headers=["平台名称", "运营单位", "所在地区"],
        rows=[["吴忠市中小企业综合服务平台", "吴忠市中小企业服务有限公司", "吴忠市"]],
        starts_on=date(2026, 5, 11),
        ends_on=date(2026, 5, 15),
        working_days=5,
        contact_name="乔秀山",
        contact_phone="0951-6038381",
    )


def certification_notice() -> Document:
    """The certification of one platform."""
    return content.certification_notice(
        number=30,
        year=2026,
        issued_on=date(2026, 5, 20),
        platforms=[("吴忠市中小企业综合服务平台", "吴忠市中小企业服务有限公司", "吴忠市")],
        notice_starts_on=date(2026, 5, 11),
        notice_ends_on=date(2026, 5, 15),
        valid_from=date(2026, 5, 20),
        valid_until=date(2029, 5, 19),
    )


def certificate() -> Document:
    """The certificate of that platform."""
    return content.certificate(
        certificate_no=format_certificate_no(year=2026, number=1),
        platform_name="吴忠市中小企业综合服务平台",
        operator_org="吴忠市中小企业服务有限公司",
        valid_from=date(2026, 5, 20),
        valid_until=date(2029, 5, 19),
        issued_on=date(2026, 5, 20),
    )


def revocation_decision() -> Document:
    """A title revoked for a violation."""
    return content.revocation_decision(
        number=45,
        year=2027,
        issued_on=date(2027, 8, 9),
        platform_name="吴忠市中小企业综合服务平台",
        operator_org="吴忠市中小企业服务有限公司",
        reason="该平台在申报材料中虚报服务企业数量",
        ground="violation",
        certified_doc_number="宁工信发〔2026〕30号",
    )


def onboarding_approval() -> Document:
    """Approval of a window platform."""
    return content.onboarding_approval(
        number=7,
        year=2026,
        issued_on=date(2026, 6, 1),
        platform_name="固原市小微企业服务窗口平台",
        applicant_org="固原市创业服务中心",
    )


def cooperation_agreement() -> Document:
    """The agreement of that window platform with the hub."""
    return content.cooperation_agreement(
        agreement_no="XY-2026-005",
        platform_name="固原市小微企业服务窗口平台",
        platform_org="固原市创业服务中心",
        signed_on=date(2026, 6, 20),
        valid_from=date(2026, 7, 1),
        valid_until=date(2027, 6, 30),
    )


def assessment_result_notice() -> Document:
    """The hub's notice of window-platform results."""
    return content.assessment_result_notice(
        number=2,
        year=2027,
        issued_on=date(2027, 3, 15),
        assessment_year=2026,
        subject_kind="window_platform",
        results=[("固原市小微企业服务窗口平台", "failed"), ("银川市创新创业服务窗口平台", "excellent")],
    )


def rectification_notice() -> Document:
    """An order to rectify within two months."""
    return content.rectification_notice(
        number=3,
        year=2027,
        issued_on=date(2027, 3, 16),
        subject_name="固原市小微企业服务窗口平台",
        subject_kind="window_platform",
        assessment_year=2026,
        problems=["服务数据未按月报送", "线下服务活动未在平台网络中记录"],
        deadline=date(2027, 5, 31),
    )


def qualification_revocation() -> Document:
    """A window platform's qualification revoked after failed rectification."""
    return content.qualification_revocation(
        number=60,
        year=2027,
        issued_on=date(2027, 6, 20),
        subject_name="固原市小微企业服务窗口平台",
        subject_kind="window_platform",
        reason="该平台整改期满后服务数据仍未按月报送",
        ground="failed_rectification",
        rectification_doc_number="宁中小服发〔2027〕3号",
    )


def voucher_void_decision(**over: object) -> Document:
    """A voucher voided for collusion after issue (003 art. 11(1))."""
    args: dict = dict(number=4, year=2026, issued_on=date(2026, 5, 6), voucher_no="FWQ-2026-000123",
                      enterprise_name="银川市示例科技有限公司", provider_name="宁夏向量信息技术有限公司",
                      service_item="信用评价服务", voucher_amount_fen=300000, reason="企业与服务机构恶意串通，虚构服务内容")
    args.update(over)
    return content.voucher_void_decision(**args)


ALL = [
    provider_filing_notice,
    voucher_void_decision,
    voucher_certificate,
    three_party_contract,
    settlement_statement,
    monthly_voucher_statistics,
    recommendation_form,
    public_notice,
    certification_notice,
    certificate,
    revocation_decision,
    onboarding_approval,
    cooperation_agreement,
    assessment_result_notice,
    rectification_notice,
    qualification_revocation,
]
