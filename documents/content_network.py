"""Content builders of window-platform onboarding (P4), annual assessments (P5) and their consequences."""

from collections.abc import Sequence
from datetime import date
from typing import Literal

from documents.content_common import (
    NETWORK_RULES,
    PLATFORM_RULES,
    RATING_LABELS,
    VOUCHER_RULES_2016,
    issuer_name,
    numbered_table,
    official,
    sentence,
)
from documents.model import FormDocument, Heading, OfficialDocument, Paragraph, format_cn_date

AssessedKind = Literal["hub", "operator", "window_platform", "service_org", "demonstration_platform"]

SUBJECT_LABELS: dict[str, str] = {
    "hub": "枢纽平台",
    "operator": "枢纽平台运营机构",
    "window_platform": "窗口平台",
    "service_org": "合作服务机构",
    "demonstration_platform": "自治区中小企业公共服务示范平台",
    "provider": "签约服务机构",
}

# What an assessment result means for each kind of subject, and the article that says so.
_CONSEQUENCES: dict[str, tuple[str, str]] = {
    "hub": (f"{NETWORK_RULES}第十一条", "考核结果列入当年自治区中小企业服务中心效能目标考核。"),
    "operator": (
        f"{NETWORK_RULES}第十二条、第十三条",
        "考核合格的运营机构，枢纽平台继续签订委托运营协议；考核不合格的，限期整改，整改后仍达不到要求的，提请撤销其相应资格。",
    ),
    "window_platform": (
        f"{NETWORK_RULES}第十二条、第十三条",
        "考核优秀的，提请自治区工业和信息化厅按照相关政策优先给予支持；考核不合格的，限期整改，整改后仍达不到要求的，提请撤销其相应资格。",
    ),
    "demonstration_platform": (
        f"{PLATFORM_RULES}第十九条",
        "考核优秀的示范平台予以重点扶持，并优先推荐申报国家中小企业公共服务示范平台；考核不合格的示范平台撤销其称号。",
    ),
}
_CONSEQUENCES["service_org"] = _CONSEQUENCES["window_platform"]


def onboarding_approval(
    *,
    number: int,
    year: int,
    issued_on: date,
    platform_name: str,
    applicant_org: str,
    cc: Sequence[str] = (),
) -> OfficialDocument:
    """The department's approval (批复) of a window platform joining the network, before its notice (004 art. 8-10)."""
    blocks = [
        Paragraph(
            text=f"你中心关于{platform_name}接入自治区中小企业公共服务平台网络的请示收悉。根据{NETWORK_RULES}第十条规定，"
            f"经枢纽平台组织专家评估审查，同意{applicant_org}建设运营的{platform_name}作为窗口平台接入平台网络。"
            "现批复如下："
        ),
        Paragraph(
            text="一、请你中心按规定对拟接入的窗口平台进行公示。经公示无异议的，指导其按照要求进行软硬件改造并接入平台网络；"
            "异议经核实成立的，不予接入。"
        ),
        Paragraph(
            text=f"二、{platform_name}接入后，应与枢纽平台签订服务合作协议，定期报送服务计划、服务数据和服务总结，"
            "实现所有服务活动在平台网络系统中有记录、能追踪、可考核。"
        ),
        Paragraph(
            text="三、请你中心加强业务指导和绩效考核；考核不合格的，责令限期整改，整改后仍达不到要求的，提请撤销其窗口平台资格。"
        ),
    ]
    return official(
        kind="onboarding_approval",
        issuer="department",
        number=number,
        year=year,
        title=f"关于同意{platform_name}接入自治区中小企业公共服务平台网络的批复",
        recipients=f"{issuer_name('operator')}：",
        blocks=blocks,
        issued_on=issued_on,
        cc=cc,
    )


def cooperation_agreement(
    *,
    agreement_no: str,
    platform_name: str,
    platform_org: str,
    signed_on: date,
    valid_from: date,
    valid_until: date,
    plan_due: str = "每年1月31日前",
    data_due: str = "每月10日前",
    summary_due: str = "每年12月31日前",
) -> FormDocument:
    """The hub-window cooperation agreement with its reporting schedule (004 art. 6(5), 9, 12-13)."""
    hub = issuer_name("operator")
    blocks = [
        Paragraph(text=f"甲方（枢纽平台）：{hub}", indent_first_line=False),
        Paragraph(text=f"乙方（窗口平台建设单位）：{platform_org}", indent_first_line=False),
        Paragraph(
            text=f"根据{NETWORK_RULES}，乙方建设运营的{platform_name}经评估审查、批准和公示，作为窗口平台接入"
            "自治区中小企业公共服务平台网络。双方订立本协议。"
        ),
        Heading(level=1, text="一、甲方职责"),
        Paragraph(
            text="甲方对乙方进行业务指导，制定统一的服务规范和服务监督评价体系，共享服务资源和服务信息，开展绩效考核。"
        ),
        Heading(level=1, text="二、乙方职责"),
        Paragraph(
            text="乙方开展服务需求调研并及时向甲方传递需求，组织服务机构开展精准服务；负责所发布信息和应用的安全管理；"
            "做好线上线下服务的衔接，实现所有服务活动在平台网络系统中有记录、能追踪、可考核。"
        ),
        Heading(level=1, text="三、报送要求"),
        Paragraph(
            text=f"乙方于{plan_due}报送年度服务计划，{data_due}报送上月服务数据，{summary_due}报送年度服务总结。"
        ),
        Heading(level=1, text="四、考核与退出"),
        Paragraph(
            text="乙方接受甲方年度绩效考核。考核优秀的，甲方提请自治区工业和信息化厅优先给予支持；考核不合格的，限期整改，"
            "整改后仍达不到要求的，甲方提请撤销其窗口平台资格，本协议随之终止。"
        ),
        Heading(level=1, text="五、期限"),
        Paragraph(
            text=f"本协议有效期自{format_cn_date(valid_from)}至{format_cn_date(valid_until)}。"
            "本协议一式两份，双方各执一份，自双方签字盖章之日起生效。"
        ),
        Paragraph(text="（以下无正文）", indent_first_line=False, align="center"),
        Paragraph(text=f"甲方（盖章）：{hub}", indent_first_line=False),
        Paragraph(text=f"乙方（盖章）：{platform_org}", indent_first_line=False),
        Paragraph(text=f"签订日期：{format_cn_date(signed_on)}", indent_first_line=False),
    ]
    return FormDocument(
        kind="cooperation_agreement",
        title="自治区中小企业公共服务平台网络服务合作协议",
        blocks=blocks,
        date=signed_on,
        serial=agreement_no,
    )


def assessment_result_notice(
    *,
    number: int,
    year: int,
    issued_on: date,
    assessment_year: int,
    subject_kind: AssessedKind,
    results: Sequence[tuple[str, str]],
    recipients: str | None = None,
    cc: Sequence[str] = (),
) -> OfficialDocument:
    """Yearly assessment results (name, excellent|qualified|failed) and their effect (004 art. 11-13; 002 art. 19)."""
    if subject_kind not in _CONSEQUENCES:
        raise ValueError(f"no assessment of {subject_kind!r}")
    unknown = {rating for _, rating in results} - set(RATING_LABELS)
    if unknown:
        raise ValueError(f"unknown ratings {sorted(unknown)}; known: {', '.join(RATING_LABELS)}")
    # The department assesses the hub and demonstration platforms; the hub assesses everybody else.
    issuer = "department" if subject_kind in ("hub", "demonstration_platform") else "operator"
    label = SUBJECT_LABELS[subject_kind]
    basis, consequence = _CONSEQUENCES[subject_kind]
    default_recipients = f"{issuer_name('operator')}：" if subject_kind == "hub" else f"各{label}："
    blocks = [
        Paragraph(
            text=f"根据{basis}规定，{issuer_name(issuer)}组织开展了{assessment_year}年度{label}绩效考核。"
            "现将考核结果通知如下："
        ),
        numbered_table(["名称", "考核结果"], [[name, RATING_LABELS[rating]] for name, rating in results]),
        Paragraph(text=consequence),
    ]
    return official(
        kind="assessment_result_notice",
        issuer=issuer,
        number=number,
        year=year,
        title=f"关于{assessment_year}年度{label}绩效考核结果的通知",
        recipients=recipients or default_recipients,
        blocks=blocks,
        issued_on=issued_on,
        cc=cc,
    )


def rectification_notice(
    *,
    number: int,
    year: int,
    issued_on: date,
    subject_name: str,
    subject_kind: Literal["operator", "window_platform", "service_org"],
    assessment_year: int,
    problems: Sequence[str],
    deadline: date,
    cc: Sequence[str] = (),
) -> OfficialDocument:
    """The hub's order to rectify a failed assessment by a deadline (限期整改, 004 art. 13)."""
    if subject_kind not in ("operator", "window_platform", "service_org"):
        raise ValueError(f"no rectification of {subject_kind!r}")
    if deadline <= issued_on or not problems:
        raise ValueError("a rectification needs problems and a deadline after the notice")
    label = SUBJECT_LABELS[subject_kind]
    blocks = [
        Paragraph(
            text=f"在{assessment_year}年度绩效考核中，你单位作为{label}考核不合格。根据{NETWORK_RULES}第十三条规定，"
            "现责令你单位限期整改。"
        ),
        Heading(level=1, text="一、存在的问题"),
        *[Paragraph(text=f"{index}．{sentence(problem)}") for index, problem in enumerate(problems, start=1)],
        Heading(level=1, text="二、整改要求"),
        Paragraph(
            text=f"请你单位针对上述问题认真整改，于{format_cn_date(deadline)}前完成整改，并将整改报告（含整改措施、"
            f"完成情况及佐证材料）报送{issuer_name('operator')}。"
        ),
        Paragraph(text=f"逾期未完成整改或整改后仍达不到要求的，将提请撤销你单位{label}资格。"),
    ]
    return official(
        kind="rectification_notice",
        issuer="operator",
        number=number,
        year=year,
        title=f"关于{subject_name}限期整改的通知",
        recipients=f"{subject_name}：",
        blocks=blocks,
        issued_on=issued_on,
        cc=cc,
    )


def qualification_revocation(
    *,
    number: int,
    year: int,
    issued_on: date,
    subject_name: str,
    subject_kind: Literal["operator", "window_platform", "service_org", "provider"],
    reason: str,
    ground: Literal["failed_rectification", "collusion"],
    rectification_doc_number: str | None = None,
    cc: Sequence[str] = (),
) -> OfficialDocument:
    """Decision revoking a qualification: failed rectification (004 art. 13) or provider collusion (003 art. 11(1))."""
    if (ground == "collusion") != (subject_kind == "provider"):
        raise ValueError("collusion revokes a provider's signed status; failed rectification any other subject")
    label = SUBJECT_LABELS[subject_kind]
    if ground == "failed_rectification":
        # The hub proposes, the department revokes (004 art. 13).
        issuer = "department"
        after = f"经{rectification_doc_number}限期整改后" if rectification_doc_number else "经限期整改后"
        decision = (
            f"{subject_name}年度绩效考核不合格，{after}仍达不到要求。根据{NETWORK_RULES}第十三条规定，"
            f"经枢纽平台提请，决定撤销{subject_name}{label}资格。"
        )
    else:
        # The operator itself may cancel a provider's signed status (003 art. 11(1)).
        issuer = "operator"
        decision = (
            f"根据{VOUCHER_RULES_2016}第十一条第（一）项规定，决定取消{subject_name}{label}服务资格，"
            "相关服务券作废，并作为不良信用记入服务档案。"
        )
    blocks = [
        Paragraph(text=f"经查，{sentence(reason)}"),
        Paragraph(text=decision),
        Paragraph(text=f"自本决定印发之日起，{subject_name}不得再以{label}名义开展相关服务。"),
    ]
    return official(
        kind="qualification_revocation",
        issuer=issuer,
        number=number,
        year=year,
        title=f"关于撤销{subject_name}{label}资格的决定",
        recipients=f"{subject_name}：",
        blocks=blocks,
        issued_on=issued_on,
        cc=cc,
    )
