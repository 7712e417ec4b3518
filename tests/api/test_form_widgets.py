"""The web form's widgets built from the forms' JSON schema (issue 15): upload ids as file pickers, score maps as one
number field per named criterion (the city bureau's evaluation, the assessment's scores and self-report), basis
points asked in percent. Pure: no server."""

from __future__ import annotations

from starlette.datastructures import FormData

from api.pages_forms import PREFIX, form_fields, parse_form, values_from_data, walk, with_criteria
from forms.assessment import ScoringForm, SelfReportForm
from forms.certification import RecommendationForm
from forms.voucher import DeliveryForm, SettlementReviewForm, VoucherApplyForm
from forms.window_onboarding import AdaptationForm

INDICATORS = [{"key": "service", "name": "服务质量", "weight": 1}, {"key": "data", "name": "数据报送", "weight": 1}]


def by_name(fields: list, name: str):  # type: ignore[no-untyped-def]
    return next(f for f in walk(fields) if f.name == name)


def test_upload_ids_are_file_pickers_in_every_process() -> None:
    assert [f.kind for f in walk(form_fields(VoucherApplyForm)) if f.name.startswith("materials.")] == ["upload"] * 5
    delivery = form_fields(DeliveryForm)
    assert by_name(delivery, "completion_proof").kind == "upload" and by_name(delivery, "invoice").kind == "upload"
    assert by_name(form_fields(AdaptationForm), "materials").kind == "uploads"
    assert by_name(form_fields(SelfReportForm), "attachments").kind == "uploads"


def test_a_new_file_replaces_the_one_a_field_held() -> None:
    fields = form_fields(DeliveryForm)
    posted = FormData([(PREFIX + "completion_proof", "a" * 32), (PREFIX + "invoice", "b" * 32), (PREFIX + "paid_fen", "10")])
    data, errors = parse_form(fields, posted, DeliveryForm, {"invoice": ["c" * 32]})
    assert not errors and data["invoice"] == "c" * 32 and data["completion_proof"] == "a" * 32
    data, errors = parse_form(form_fields(VoucherApplyForm), FormData([(PREFIX + "contract_amount_fen", "100")]),
                              VoucherApplyForm, {"materials.office_photo": ["d" * 32]})
    assert data["materials"]["office_photo"] == "d" * 32 and "materials.tax_payment_proof" in errors


def test_the_city_bureaus_scores_one_number_per_criterion() -> None:
    fields = form_fields(RecommendationForm)
    scores = by_name(fields, "scores")
    assert scores.kind == "map" and list(scores.criteria) == ["运营情况", "服务业绩", "用户满意度"] and scores.number
    posted = FormData([(PREFIX + "opinion", "好"), (PREFIX + "scores.运营情况", "90"), (PREFIX + "scores.服务业绩", "8x"),
                       (PREFIX + "scores.用户满意度", "")])
    data, errors = parse_form(fields, posted, RecommendationForm)
    assert errors["scores.服务业绩"] == "请输入数字" and data["scores"]["运营情况"] == 90
    assert "用户满意度" not in data["scores"]


def test_the_assessments_scores_and_self_report_by_named_indicator() -> None:
    fields = form_fields(ScoringForm)
    values = values_from_data(fields, {"scores": {"service": None, "data": None}})
    with_criteria(fields, {"indicators": INDICATORS}, values)
    assert by_name(fields, "scores").criteria == {"service": "服务质量", "data": "数据报送"}
    data, errors = parse_form(fields, FormData([(PREFIX + "scores.service", "90"), (PREFIX + "scores.data", "75.5")]),
                              ScoringForm)
    assert not errors and data["scores"] == {"service": 90, "data": 75.5}
    report = form_fields(SelfReportForm)
    prefill = {"figures": {"service": "", "data": "", "vouchers_settled": 3, "satisfaction": {"satisfied": 2}}}
    values = values_from_data(report, prefill)
    with_criteria(report, {"indicators": INDICATORS}, values)
    figures = by_name(report, "figures")
    assert figures.kind == "map" and not figures.number and set(figures.criteria) == {"service", "data"}
    assert figures.known["vouchers_settled"] == ("已结算服务券", "3")  # known to the system: kept, shown, not asked
    posted = FormData([(PREFIX + "summary", "全年"), (PREFIX + "figures.service", "服务120家"),
                       (PREFIX + "figures.data", "12"), (PREFIX + "figures.vouchers_settled", "3"),
                       (PREFIX + "figures~json", values[PREFIX + "figures~json"][0])])
    data, errors = parse_form(report, posted, SelfReportForm)
    assert not errors and data["figures"] == {"service": "服务120家", "data": 12, "vouchers_settled": 3,
                                              "satisfaction": {"satisfied": 2}}


def test_the_supervision_fee_is_asked_in_percent() -> None:
    fields = form_fields(SettlementReviewForm)
    fee = by_name(fields, "supervision_fee_bp")
    assert fee.kind == "percent" and "基点" not in fee.label
    data, errors = parse_form(fields, FormData([(PREFIX + "supervision_fee_bp", "4.5%")]), SettlementReviewForm)
    assert not errors and data["supervision_fee_bp"] == 450
    assert values_from_data(fields, {"supervision_fee_bp": 400})[PREFIX + "supervision_fee_bp"] == ["4"]


def test_the_certification_functions_and_materials_are_named_inputs_not_json() -> None:
    """The correction task's form (the application's own model): one fieldset per service function of art. 7 with its
    figures (money in 元), one file picker per material of art. 11; the functions left blank are left out."""
    from forms.certification import CertificationForm

    fields = form_fields(CertificationForm)
    assert not [f.name for f in walk(fields) if f.kind == "json"]
    functions, materials = by_name(fields, "functions"), by_name(fields, "materials")
    assert functions.kind == "named" and materials.kind == "named"
    assert [s.name for s in functions.sub][:2] == ["functions.information", "functions.technology"]
    assert by_name(fields, "functions.financing.financed_fen").kind == "money"
    assert by_name(fields, "functions.training.trainee_times").kind == "integer"
    assert [s.kind for s in materials.sub] == ["upload"] * 10
    assert materials.sub[0].name == "materials.application_report" and materials.sub[0].label == "示范平台申请报告"
    data = {"functions": {"training": {"trainee_times": 600}, "financing": {"events": 3, "financed_fen": 30_000_000}},
            "materials": {"licence": "e" * 32}}
    values = values_from_data(fields, data)
    assert values[PREFIX + "functions.financing.financed_fen"] == ["300000.00"]
    assert values[PREFIX + "materials.licence"] == ["e" * 32]
    posted = FormData([(k, v[0]) for k, v in values.items()] + [(PREFIX + "functions.market.enterprise_times", "")])
    parsed, _ = parse_form(fields, posted, CertificationForm, {"materials.application_report": ["f" * 32]})
    assert parsed["functions"] == data["functions"]  # market left blank: not a function of this platform
    assert parsed["materials"] == {"licence": "e" * 32, "application_report": "f" * 32}
