"""Tests of the pure content builders and their helpers."""

from dataclasses import replace
from datetime import date

import pytest

from documents import content
from documents.model import FormDocument, OfficialDocument, Paragraph, Signature, Table
from tests.documents import factories


def text_of(doc) -> str:
    """The words of a document model: title, paragraphs, table cells, signature lines."""
    parts = [doc.title]
    for block in doc.blocks:
        if isinstance(block, Table):
            parts += [*block.headers, *(cell for row in block.rows for cell in row)]
        elif isinstance(block, Signature):
            parts += block.lines
        else:
            parts.append(block.text)
    return "\n".join(parts)


class TestFenToYuanStr:
    @pytest.mark.parametrize(
        ("fen", "text"),
        [
            (0, "0.00元"),
            (5, "0.05元"),
            (123456, "1,234.56元"),
            (300000, "3,000.00元"),
            (500000000, "5,000,000.00元"),
            (-150, "-1.50元"),
        ],
    )
    def test_formats_fen_as_yuan(self, fen, text):
        assert content.fen_to_yuan_str(fen) == text

    def test_rejects_float(self):
        with pytest.raises(TypeError):
            content.fen_to_yuan_str(12.5)  # type: ignore[arg-type]


class TestCnOrdinal:
    @pytest.mark.parametrize(("n", "text"), [(1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (21, "二十一")])
    def test_spells_numbers(self, n, text):
        assert content.cn_ordinal(n) == text


class TestIssuers:
    @pytest.mark.parametrize(
        ("key", "code"),
        [
            ("department", "宁工信发"),
            ("operator", "宁中小服发"),
            ("yinchuan", "银工信发"),
            ("shizuishan", "石工信发"),
            ("wuzhong", "吴工信发"),
            ("guyuan", "固工信发"),
            ("zhongwei", "卫工信发"),
        ],
    )
    def test_codes(self, key, code):
        assert content.ISSUERS[key][1] == code

    def test_every_city_has_a_bureau(self):
        assert set(content.CITY_NAMES) <= set(content.ISSUERS)


class TestBuilders:
    @pytest.mark.parametrize("build", factories.ALL, ids=lambda build: build.__name__)
    def test_kind_names_the_builder(self, build):
        doc = build()
        assert doc.kind == build.__name__
        assert content.BUILDERS[doc.kind].__name__ == build.__name__

    def test_official_document_header_is_issuer_name_plus_wenjian(self):
        doc = factories.provider_filing_notice()
        assert isinstance(doc, OfficialDocument)
        assert doc.issuer_name == "宁夏回族自治区工业和信息化厅文件"
        assert doc.signer == "宁夏回族自治区工业和信息化厅"
        assert doc.printer == "宁夏回族自治区工业和信息化厅办公室"  # 印发机关: the office (issue 15)

    def test_renumbering_a_draft_revalidates(self):
        draft = factories.onboarding_approval()
        assert replace(draft, number=8).doc_number == "宁工信发〔2026〕8号"
        with pytest.raises(ValueError):
            replace(draft, number=0)


class TestProviderFilingNotice:
    def test_lists_items_with_yuan_prices(self):
        text = text_of(factories.provider_filing_notice())
        assert "12,345.67元" in text and "3,600.00元" in text
        assert "云服务、信息化服务" in text
        assert "备案日期为2026年1月4日" in text


class TestVoucherCertificate:
    def test_is_a_form_with_the_voucher_number(self):
        doc = factories.voucher_certificate()
        assert isinstance(doc, FormDocument) and doc.serial == "FWQ-2026-000123"
        assert "3,000.00元" in text_of(doc) and "不得转让" in text_of(doc)

    def test_rejects_voucher_above_contract(self):
        with pytest.raises(ValueError):
            content.voucher_certificate(
                voucher_no="x",
                enterprise_name="e",
                provider_name="p",
                category="c",
                service_item="s",
                contract_amount_fen=100,
                voucher_amount_fen=101,
                issued_on=date(2026, 1, 5),
                valid_until=date(2026, 2, 5),
                policy_title="p",
            )


class TestThreePartyContract:
    def test_2016_policy_has_the_deposit_clause(self):
        assert "以保证金方式暂付给丙方" in text_of(factories.three_party_contract(policy="2016"))

    def test_2017_policy_has_no_deposit_clause(self):
        text = text_of(factories.three_party_contract(policy="2017"))
        assert "保证金" not in text and "直接支付给乙方" in text

    def test_rejects_unknown_policy(self):
        with pytest.raises(ValueError, match="policy"):
            factories.three_party_contract(policy="2019")

    def test_2016_settlement_clause_follows_seed_003_art_10(self):
        """003 art. 10: 收费凭证, and the operator (丙方) settles; no department approval."""
        text = text_of(factories.three_party_contract(policy="2016"))
        assert "收费凭证" in text and "丙方按要求审核后与乙方进行结算" in text
        assert "发票" not in text and "工业和信息化厅" not in text

    def test_2016_contract_is_signed_before_the_voucher_exists_seed_003_art_9(self):
        """003 art. 9(一): 签订服务合同后…在线申请服务券: no voucher number nor face value yet."""
        text = text_of(content.three_party_contract(
            contract_no="VC-1-HT", enterprise_name="甲", provider_name="乙", category="信用服务", service_item="评级",
            service_content="信用评级", contract_amount_fen=600000, voucher_amount_fen=None, policy="2016",
            policy_title="宁非公经发〔2016〕73号", signed_on=date(2016, 9, 1), perform_until=date(2017, 2, 28)))
        assert "以丙方审核后记名发放的服务券面值为准" in text and "保证金" in text

    def test_2017_settlement_clause_follows_seed_000_section_7(self):
        """000 七: the invoice, the operator's first review and the department's approval."""
        text = text_of(factories.three_party_contract(policy="2017"))
        assert "发票（扣除服务券部分）" in text and "报自治区工业和信息化厅核准" in text


class TestSettlementStatement:
    def test_shows_the_adjustment(self):
        text = text_of(factories.settlement_statement())
        assert "2,500.00元" in text and "合同未全面履行" in text and "不满意" in text

    def test_department_approval_is_cited_from_seed_000_section_7(self):
        text = text_of(factories.settlement_statement())
        assert "宁非公经发〔2017〕101号" in text and "七、结算" in text and "工业和信息化厅核准" in text
        assert "73号" not in text

    def test_seed_003_art_10_settlement_has_no_department_approval(self):
        text = text_of(factories.settlement_statement(policy="2016"))
        assert "73号" in text and "第十条" in text and "工业和信息化厅" not in text

    def test_rejects_lowered_amount_without_reason(self):
        doc_args = dict(
            statement_no="s",
            voucher_no="v",
            contract_no="c",
            enterprise_name="e",
            provider_name="p",
            service_item="i",
            contract_amount_fen=600000,
            voucher_amount_fen=300000,
            settled_fen=250000,
            satisfaction="不满意",
            settled_on=date(2026, 4, 20),
        )
        with pytest.raises(ValueError, match="adjustment_reason"):
            content.settlement_statement(**doc_args)


class TestVoucherVoidDecision:
    def test_names_the_voucher_the_sanctions_and_the_article(self):
        doc = factories.voucher_void_decision()
        text = text_of(doc)
        assert doc.doc_number == "宁中小服发〔2026〕4号"  # the operating unit's power (003 art. 11(1))
        assert "服务券FWQ-2026-000123" in text and "3,000.00元" in text and "第十一条第（一）项" in text
        assert "取消宁夏向量信息技术有限公司签约服务机构资格" in text and "不良信用" in text

    def test_before_the_award_there_is_no_provider_and_no_voucher_number(self):
        text = text_of(factories.voucher_void_decision(voucher_no=None, provider_name=None, voucher_amount_fen=None))
        assert "签约服务机构资格" not in text and "“信用评价服务”服务券申请" in text

    def test_the_operator_issues_it_to_the_parties_and_informs_the_department(self):
        """Issue 15: 003 art. 11(1) gives voiding for fraud to the operating unit, the department informed: the
        operator's own document (its header, number, signature and 版记), sent to the parties, copied to the
        department, never the department's (no instruction to the operator to execute it)."""
        doc = factories.voucher_void_decision(issuer="operator")
        text = text_of(doc)
        assert doc.issuer_code == "宁中小服发" and doc.issuer_name == "宁夏回族自治区中小企业服务中心文件"
        assert doc.signer == "宁夏回族自治区中小企业服务中心" and doc.printer == "宁夏回族自治区中小企业服务中心办公室"
        assert doc.recipients == "银川市示例科技有限公司、宁夏向量信息技术有限公司："
        assert "宁夏回族自治区工业和信息化厅" in doc.cc and "告知宁夏回族自治区工业和信息化厅" in text
        assert "请宁夏回族自治区中小企业服务中心" not in text and "宁工信发" not in doc.doc_number
        department = factories.voucher_void_decision(issuer="department")  # the supervising body voided it
        assert department.issuer_code == "宁工信发" and "请宁夏回族自治区中小企业服务中心" in text_of(department)

    def test_cites_the_policy_the_voucher_runs_under(self):
        """A 2017 voucher is voided under 000 六、使用规定 (the 2017 policy), a 2016 one under 003 art. 11(1)."""
        v2017 = text_of(factories.voucher_void_decision(policy="2017"))
        assert "宁非公经发〔2017〕101号" in v2017 and "“六、使用规定”" in v2017
        assert "2016〕73号" not in v2017 and "第十一条第（一）项" not in v2017
        v2016 = text_of(factories.voucher_void_decision(policy="2016"))
        assert "宁非公经发〔2016〕73号）第十一条第（一）项" in v2016 and "2017〕101号" not in v2016
        with pytest.raises(ValueError, match="policy"):
            factories.voucher_void_decision(policy="2019")


class TestMonthlyVoucherStatistics:
    def test_cites_the_policy_each_voucher_runs_under(self):
        """Issue 15: the report cited the 2016 policy (003) for every voucher. Each version's vouchers are counted
        with the articles of their own version: 2017 → 000 五、七; 2016 → 003 art. 10, 11(4)."""
        row = content.VoucherStatRow
        doc = content.monthly_voucher_statistics(
            number=3, year=2026, issued_on=date(2026, 2, 3), period_year=2026, period_month=1,
            by_category=[row("云服务", 3, 900000, 1, 300000)], by_city=[row("银川市", 3, 900000, 1, 300000)],
            fund_total_fen=500000000, burn_down=[("1月", 499100000)],
            by_policy=[row("2017", 2, 600000, 0, 0), row("2016", 1, 300000, 1, 300000)])
        text = text_of(doc)
        opening = doc.blocks[0].text  # type: ignore[union-attr]
        assert "宁非公经发〔2016〕73号）第十条、第十一条第（四）项" in opening
        assert "宁非公经发〔2017〕101号）“五、申领流程”“七、结算”" in opening
        assert "分政策版本情况" in text
        assert "按2017年版办法（宁非公经发〔2017〕101号）办理的发放2张、结算0张" in text
        assert "按2016年版办法（宁非公经发〔2016〕73号）办理的发放1张、结算1张" in text
        table = [b for b in doc.blocks if isinstance(b, Table)][-1]
        assert table.rows[0][:2] == ["2016年版办法（宁非公经发〔2016〕73号）", "1"]
        assert table.rows[1][:2] == ["2017年版办法（宁非公经发〔2017〕101号）", "2"]
        only_2017 = text_of(content.monthly_voucher_statistics(
            number=4, year=2026, issued_on=date(2026, 3, 3), period_year=2026, period_month=2, by_category=[],
            by_city=[], fund_total_fen=500000000, burn_down=[("2月", 500000000)], by_policy=[row("2017", 1, 1, 0, 0)]))
        assert "2017〕101号" in only_2017 and "2016〕73号" not in only_2017
        empty = content.monthly_voucher_statistics(
            number=5, year=2026, issued_on=date(2026, 4, 1), period_year=2026, period_month=3, by_category=[],
            by_city=[], fund_total_fen=500000000, burn_down=[("3月", 500000000)], policy_in_force="2017")
        assert "2017〕101号" in empty.blocks[0].text and "2016〕73号" not in text_of(empty)  # type: ignore[union-attr]

    def test_has_totals_and_fund_share(self):
        doc = factories.monthly_voucher_statistics()
        tables = [block for block in doc.blocks if isinstance(block, Table)]
        assert tables[0].rows[-1] == ["合计", "13", "34,500.00元", "2", "5,000.00元"]
        assert "99.3%" in text_of(doc)

    def test_reports_the_providers_service_and_satisfaction_seed_003_art_11_4(self):
        """003 art. 11(4): 定期上报服务券发放、服务机构服务和企业需求满意度等情况."""
        providers = [content.ProviderServiceRow(provider_name="宁夏向量信息技术有限公司", delivered_count=1,
                                                settled_count=2, settled_fen=500000, satisfied=1, basic=0,
                                                unsatisfied=1, lowered_count=1)]
        doc = content.monthly_voucher_statistics(
            number=3, year=2026, issued_on=date(2026, 2, 3), period_year=2026, period_month=1, by_category=[],
            by_city=[], fund_total_fen=500000000, burn_down=[("2026年1月", 499500000)], providers=providers)
        text = text_of(doc)
        assert "服务机构服务和企业满意度情况" in text and "不满意1项" in text and "调整结算额度" in text
        table = [b for b in doc.blocks if isinstance(b, Table)][-1]
        assert table.rows == [["宁夏向量信息技术有限公司", "1", "2", "5,000.00元", "1/0/1", "50.0%", "1"]]


class TestRecommendationForm:
    def test_is_signed_by_the_city_bureau(self):
        text = text_of(factories.recommendation_form())
        assert "吴忠市工业和信息化局（盖章）" in text and "88.5" in text and "推荐" in text

    def test_rejects_unknown_city(self):
        with pytest.raises(ValueError, match="city"):
            content.recommendation_form(
                platform_name="p",
                applicant_org="o",
                city="department",
                recommended=True,
                opinion="o",
                scores={},
                filled_on=date(2026, 3, 2),
            )


class TestPublicNotice:
    def test_states_period_objection_rules_and_contact(self):
        doc = factories.public_notice()
        text = text_of(doc)
        assert "公示期为2026年5月11日至2026年5月15日（共5个工作日）" in text
        assert "书面形式" in text and "实名" in text and "匿名异议不予受理" in text
        assert "联系人：乔秀山" in text and "0951-6038381" in text
        assert doc.recipients is None and doc.note == "此件公开发布"

    def test_rejects_end_before_start(self):
        doc = factories.public_notice()
        with pytest.raises(ValueError, match="end"):
            content.public_notice(
                number=1,
                year=2026,
                issued_on=doc.date,
                subject="s",
                basis="b",
                procedure="p",
                headers=["名称"],
                rows=[["x"]],
                starts_on=date(2026, 5, 15),
                ends_on=date(2026, 5, 11),
                contact_name="c",
                contact_phone="1",
            )


class TestCertification:
    def test_notice_states_three_year_validity(self):
        text = text_of(factories.certification_notice())
        assert "自2026年5月20日至2029年5月19日" in text and "2月底前" in text

    def test_certificate_is_a_form(self):
        doc = factories.certificate()
        assert isinstance(doc, FormDocument) and "特发此证" in text_of(doc)

    def test_revocation_cites_article_17_for_violation(self):
        text = text_of(factories.revocation_decision())
        assert "第十七条" in text and "宁工信发〔2026〕30号" in text and "虚报" in text


class TestAssessmentAndConsequences:
    def test_window_results_come_from_the_hub(self):
        doc = factories.assessment_result_notice()
        assert isinstance(doc, OfficialDocument) and doc.issuer_code == "宁中小服发"
        assert "不合格" in text_of(doc) and "限期整改" in text_of(doc)

    def test_demonstration_results_come_from_the_department(self):
        doc = content.assessment_result_notice(
            number=1,
            year=2027,
            issued_on=date(2027, 3, 1),
            assessment_year=2026,
            subject_kind="demonstration_platform",
            results=[("平台", "excellent")],
        )
        assert doc.issuer_code == "宁工信发" and "优先推荐申报国家" in text_of(doc)

    def test_rejects_unknown_rating(self):
        with pytest.raises(ValueError, match="rating"):
            content.assessment_result_notice(
                number=1,
                year=2027,
                issued_on=date(2027, 3, 1),
                assessment_year=2026,
                subject_kind="window_platform",
                results=[("平台", "good")],
            )

    def test_rectification_states_the_deadline(self):
        text = text_of(factories.rectification_notice())
        assert "于2027年5月31日前完成整改" in text and "1．服务数据未按月报送。" in text

    def test_rectification_rejects_past_deadline(self):
        with pytest.raises(ValueError, match="deadline"):
            content.rectification_notice(
                number=1,
                year=2027,
                issued_on=date(2027, 3, 16),
                subject_name="s",
                subject_kind="service_org",
                assessment_year=2026,
                problems=["p"],
                deadline=date(2027, 3, 16),
            )

    def test_collusion_revocation_is_the_operators(self):
        doc = content.qualification_revocation(
            number=1,
            year=2026,
            issued_on=date(2026, 9, 1),
            subject_name="某服务公司",
            subject_kind="provider",
            reason="与企业串通虚开发票",
            ground="collusion",
        )
        assert doc.issuer_code == "宁中小服发" and "第十一条第（一）项" in text_of(doc)

    def test_collusion_applies_to_providers_only(self):
        with pytest.raises(ValueError, match="collusion"):
            content.qualification_revocation(
                number=1,
                year=2026,
                issued_on=date(2026, 9, 1),
                subject_name="s",
                subject_kind="window_platform",
                reason="r",
                ground="collusion",
            )

    def test_failed_rectification_cites_the_rectification_notice(self):
        text = text_of(factories.qualification_revocation())
        assert "经宁中小服发〔2027〕3号限期整改后仍达不到要求" in text


class TestParagraphs:
    @pytest.mark.parametrize("build", factories.ALL, ids=lambda build: build.__name__)
    def test_no_empty_paragraphs(self, build):
        assert all(block.text.strip() for block in build().blocks if isinstance(block, Paragraph))
