"""Small and micro enterprise service vouchers with their fund (P1; seeds 000, 003)."""

from __future__ import annotations

from forms.voucher import (
    ChooseBidForm,
    ConfirmForm,
    DeliveryForm,
    FirstReviewForm,
    SettlementReviewForm,
    VoucherApplyForm,
    VoucherDemandForm,
)
from processes.spec import CaseAction, NavLink, ProcessSpec, Singleton
from processes.voucher_guide import GUIDE
from rules.voucher import CATEGORIES
from workflows.voucher import VoucherWorkflow
from workflows.voucher_statistics import STATISTICS_ID, VoucherStatisticsWorkflow, first_statistics_input

SPEC = ProcessSpec(
    type="voucher",
    prefix="VC",
    label="服务补贴券",
    title="服务券需求",
    workflow=VoucherWorkflow,
    singletons=(Singleton(id=STATISTICS_ID, workflow=VoucherStatisticsWorkflow, first_input=first_statistics_input),),
    applicant_roles=("enterprise",),
    case_form=VoucherDemandForm,
    task_forms={
        "voucher_choose_bid": ChooseBidForm,
        "voucher_apply": VoucherApplyForm,
        "voucher_first_review": FirstReviewForm,
        "voucher_delivery": DeliveryForm,
        "voucher_confirm": ConfirmForm,
        "voucher_settlement_review": SettlementReviewForm,
    },
    create_check="api.voucher_checks:check_case",
    many_open=True,  # one open voucher per service item (the check refuses a second for the same category)
    due_days={
        "voucher.demand_review": 3,
        "voucher.correction": 10,
        "voucher.choose_bid": 5,
        "voucher.award_review": 3,
        "voucher.apply": 10,
        "voucher.first_review": 5,
        "voucher.final_review": 5,
        "voucher.delivery": 60,
        "voucher.confirm": 5,
        "voucher.settlement_review": 5,
        "voucher.settlement_approval": 5,
    },
    statuses={"bidding": "竞标中", "choosing": "待选定服务机构", "applying": "申领中", "waitlisted": "候补排队",
              "reserved": "已预留资金", "issued": "已发券", "in_service": "服务中", "settling": "结算中",
              "settled": "已结算", "void": "已作废", "voiding": "作废中", "withdrawn": "已撤回", "closed": "已关闭"},
    status_tones={"settled": "ok", "issued": "ok", "void": "bad", "waitlisted": "warn"},
    task_types={
        "voucher.demand_review": "服务券·需求审核",
        "voucher.correction": "服务券·修改需求",
        "voucher.choose_bid": "服务券·选择服务机构",
        "voucher.award_review": "服务券·审核定标",
        "voucher.apply": "服务券·申领",
        "voucher.first_review": "服务券·初审",
        "voucher.final_review": "服务券·复审",
        "voucher.delivery": "服务券·服务完成报送",
        "voucher.confirm": "服务券·服务确认与评价",
        "voucher.settlement_review": "服务券·结算审核",
        "voucher.settlement_approval": "服务券·结算核准",
    },
    deadlines={"bidding": "竞标截止", "validity": "有效期"},
    documents={"voucher_certificate": "服务券", "three_party_contract": "三方服务合同", "settlement_statement": "结算单",
               "voucher_void_decision": "服务券作废决定", "monthly_voucher_statistics": "服务券月度统计"},
    worker="activities.voucher_documents:worker_parts",
    api_routers=("api.routes_voucher:router",),
    page_routers=("api.pages_voucher:router",),
    actions=(
        CaseAction(path="withdraw", heading="撤回服务券案件", button="撤回", roles=("enterprise",),
                   note="服务机构报送服务完成情况之前可以撤回；已预留的资金退回年度资金，候补申请依次递补。",
                   field_label="撤回理由", confirm="撤回后本案件即告结束，确定撤回吗？",
                   not_statuses=("in_service", "settling")),
        CaseAction(path="void", heading="作废服务券", button="作废服务券", roles=("department",),
                   note="经查实恶意串通、弄虚作假的（2016年办法第十一条第（一）项）：服务券作废，资金退回，服务机构取消签约资格，"
                        "企业及责任人记入不良信用档案，起草作废决定。",
                   field_label="作废理由", confirm="作废后不可恢复，确定作废吗？"),
    ),
    nav=(
        NavLink(href="/voucher", label="服务券", roles=("enterprise",), order=20, exact=True),
        NavLink(href="/voucher/demands", label="服务需求", roles=("provider",), order=20),
        NavLink(href="/voucher/my-bids", label="我的投标", roles=("provider",), order=20,
                active="/voucher/my-bids|/voucher/contracts"),
        NavLink(href="/voucher/fund", label="服务券资金", roles=("operator", "department", "admin"), order=20),
    ),
    guide=GUIDE,
    title_detail=lambda data, day: (f"{CATEGORIES.get(str(data.get('category')), data.get('category'))}·"
                                    f"预算{int(data.get('budget_fen') or 0) // 100:,}元·{day.year}年{day.month}月{day.day}日"),
)
