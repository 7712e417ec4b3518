"""Content builders of demonstration-platform certification (P3) and the shared public notice."""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

from documents.content_common import (
    CITY_NAMES,
    PLATFORM_RULES,
    issuer_name,
    numbered_table,
    official,
    sentence,
    sign_off,
)
from documents.model import FormDocument, Heading, OfficialDocument, Paragraph, Table, format_cn_date

TITLE = "自治区中小企业公共服务示范平台"


def _score(value: float) -> str:
    """A score without a needless trailing .0."""
    return f"{value:g}"


def recommendation_form(
    *,
    platform_name: str,
    applicant_org: str,
    city: str,
    recommended: bool,
    opinion: str,
    scores: Mapping[str, float],
    filled_on: date,
) -> FormDocument:
    """The city bureau's 推荐表 with its evaluation scores and opinion (002 art. 9-10, annex 1)."""
    if city not in CITY_NAMES:
        raise ValueError(f"unknown city {city!r}; known: {', '.join(CITY_NAMES)}")
    bureau = issuer_name(city)
    rows = [
        ["平台名称", platform_name],
        ["运营单位", applicant_org],
        ["所在地区", CITY_NAMES[city]],
        *[[f"测评：{label}", _score(value)] for label, value in scores.items()],
        ["推荐结论", "推荐" if recommended else "不予推荐"],
        ["市工业和信息化局意见", sentence(opinion)],
    ]
    blocks = [
        Table(headers=[], rows=rows, col_widths_mm=[50.0, 106.0]),
        sign_off(f"{bureau}（盖章）", filled_on),
    ]
    return FormDocument(kind="recommendation_form", title=f"{TITLE}推荐表", blocks=blocks, date=filled_on)


def public_notice(
    *,
    number: int,
    year: int,
    issued_on: date,
    subject: str,
    basis: str,
    procedure: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    starts_on: date,
    ends_on: date,
    contact_name: str,
    contact_phone: str,
    working_days: int | None = None,
    issuer: str = "department",
    online_channel: str | None = "自治区中小企业公共服务平台",
    address: str | None = None,
    cc: Sequence[str] = (),
) -> OfficialDocument:
    """A 公示: basis and procedure, the list, the period with both dates, how to object, whom to ask (002 art. 12)."""
    if ends_on < starts_on:
        raise ValueError("the notice cannot end before it starts")
    body = issuer_name(issuer)
    period = f"公示期为{format_cn_date(starts_on)}至{format_cn_date(ends_on)}"
    online = f"，也可通过{online_channel}在线实名提交" if online_channel else ""
    contact = f"联系人：{contact_name}；联系电话：{contact_phone}" + (f"；通讯地址：{address}" if address else "")
    blocks = [
        Paragraph(text=f"根据{basis}，{procedure}，现将{subject}予以公示，接受社会监督。"),
        Heading(level=1, text="一、公示名单"),
        numbered_table(headers, rows),
        Heading(level=1, text="二、公示期"),
        Paragraph(text=period + (f"（共{working_days}个工作日）。" if working_days else "。")),
        Heading(level=1, text="三、异议方式"),
        Paragraph(
            text=f"公示期间，任何单位或个人对公示名单有异议的，可在公示期内以书面形式向{body}提出，"
            f"说明异议理由并提供必要的证明材料{online}。"
        ),
        Paragraph(
            text="以单位名义提出异议的，应加盖本单位公章并写明联系人及联系方式；以个人名义提出异议的，"
            "应签署本人真实姓名并写明有效联系方式。异议须实名提出，匿名异议不予受理；逾期提出的异议不予受理。"
            f"{body}对实名异议调查核实，并为异议人保密。"
        ),
        Heading(level=1, text="四、联系方式"),
        Paragraph(text=f"{contact}。"),
    ]
    return official(
        kind="public_notice",
        issuer=issuer,
        number=number,
        year=year,
        title=f"关于{subject}的公示",
        recipients=None,
        blocks=blocks,
        issued_on=issued_on,
        cc=cc,
        note="此件公开发布",
    )


def city_summary_report(
    *,
    number: int,
    year: int,
    call_year: int,
    city: str,
    issued_on: date,
    platforms: Sequence[tuple[str, str, str]],
) -> OfficialDocument:
    """A city bureau's one summary report (汇总报告) of the platforms it recommends in a year's call: (platform,
    operator, the bureau's score) rows; each platform's 推荐表 and materials go with it (002 art. 9-10)."""
    if city not in CITY_NAMES:
        raise ValueError(f"unknown city {city!r}; known: {', '.join(CITY_NAMES)}")
    if not platforms:
        raise ValueError("a summary report lists at least one recommended platform")
    blocks = [
        Paragraph(
            text=f"根据{PLATFORM_RULES}第九条、第十条，我局对本地区申报{call_year}年度{TITLE}的单位的运营情况、"
            f"服务业绩、满意度等进行了测评，现推荐以下{len(platforms)}家平台，各平台的推荐表及申请材料附后。"
        ),
        numbered_table(["平台名称", "运营单位", "测评得分"], [list(entry) for entry in platforms]),
    ]
    return official(
        kind="city_summary",
        issuer=city,
        number=number,
        year=year,
        title=f"关于推荐{call_year}年度{TITLE}的汇总报告",
        recipients="自治区工业和信息化厅：",
        blocks=blocks,
        issued_on=issued_on,
    )


def certification_notice(
    *,
    number: int,
    year: int,
    issued_on: date,
    platforms: Sequence[tuple[str, str, str]],
    notice_starts_on: date,
    notice_ends_on: date,
    valid_from: date,
    valid_until: date,
    cc: Sequence[str] = (),
    rules_title: str = PLATFORM_RULES,
) -> OfficialDocument:
    """Notice granting the title to (platform, operator, city) entries, with validity and duties (002 art. 13-19)."""
    blocks = [
        Paragraph(
            text=f"根据{rules_title}，经各市工业和信息化局推荐、专家评审和实地考察，并经"
            f"{format_cn_date(notice_starts_on)}至{format_cn_date(notice_ends_on)}公示无异议，"
            f"决定认定{len(platforms)}家平台为“{TITLE}”（名单见下表）。现将有关事项通知如下："
        ),
        numbered_table(["平台名称", "运营单位", "所在地区"], [list(entry) for entry in platforms]),
        Heading(level=1, text="一、有效期"),
        Paragraph(
            text=f"示范平台认定有效期为三年，自{format_cn_date(valid_from)}至{format_cn_date(valid_until)}。"
            "有效期满当年可再次申报。"
        ),
        Heading(level=1, text="二、有关要求"),
        Paragraph(
            text="（一）示范平台要不断提高服务能力，主动开展公益性服务，每年年底前将本年度工作总结报所在市工业和信息化局。"
        ),
        Paragraph(
            text="（二）各市工业和信息化局要定期检查辖区内示范平台的服务质量、服务收费和服务满意度，"
            "每年2月底前将上一年度工作总结汇总报告和检查情况报告报自治区工业和信息化厅。"
        ),
        Paragraph(
            text="（三）自治区工业和信息化厅每年对示范平台服务绩效进行考核，考核优秀的予以重点扶持并优先推荐申报"
            "国家中小企业公共服务示范平台，考核不合格的撤销其称号；有效期内如有违法违规等行为，一经查实，撤销其称号。"
        ),
    ]
    return official(
        kind="certification_notice",
        issuer="department",
        number=number,
        year=year,
        title=f"关于认定{year}年度{TITLE}的通知",
        recipients="各市工业和信息化局，各有关单位：",
        blocks=blocks,
        issued_on=issued_on,
        cc=cc,
        note="此件公开发布",
    )


def certificate(
    *,
    certificate_no: str,
    platform_name: str,
    operator_org: str,
    valid_from: date,
    valid_until: date,
    issued_on: date,
) -> FormDocument:
    """The title certificate of a demonstration platform, valid three years (002 art. 13, 17)."""
    blocks = [
        Paragraph(text=f"“{platform_name}”（运营单位：{operator_org}）经评审认定为："),
        Paragraph(text=f"“{TITLE}”", indent_first_line=False, align="center"),
        Paragraph(text=f"有效期：{format_cn_date(valid_from)}至{format_cn_date(valid_until)}。"),
        Paragraph(text="特发此证。"),
        sign_off(f"{issuer_name('department')}（盖章）", issued_on),
    ]
    return FormDocument(kind="certificate", title="证　书", blocks=blocks, date=issued_on, serial=certificate_no,
                        landscape=True)


def revocation_decision(
    *,
    number: int,
    year: int,
    issued_on: date,
    platform_name: str,
    operator_org: str,
    reason: str,
    ground: Literal["violation", "failed_assessment"],
    certified_doc_number: str | None = None,
    cc: Sequence[str] = (),
    rules_title: str = PLATFORM_RULES,
) -> OfficialDocument:
    """Decision revoking a demonstration platform's title, for a violation or a failed assessment (002 art. 17, 19)."""
    basis = {
        "violation": "第十七条“在有效期内如有违法违规等行为，一经查实，予以撤销示范平台称号”",
        "failed_assessment": "第十九条“对考核不合格的自治区示范平台撤销其称号”",
    }[ground]
    certified = f"经{certified_doc_number}认定为" if certified_doc_number else "系"
    blocks = [
        Paragraph(text=f"{platform_name}{certified}“{TITLE}”。"),
        Paragraph(text=f"经查，{sentence(reason)}"),
        Paragraph(
            text=f"根据{rules_title}{basis}的规定，经研究，决定撤销{platform_name}“{TITLE}”称号，"
            "自本决定印发之日起生效，并从示范平台信息数据库中移除。"
        ),
        Paragraph(text="本决定在自治区工业和信息化厅门户网站公布。"),
    ]
    return official(
        kind="revocation_decision",
        issuer="department",
        number=number,
        year=year,
        title=f"关于撤销{platform_name}“{TITLE}”称号的决定",
        recipients=f"{operator_org}：",
        blocks=blocks,
        issued_on=issued_on,
        cc=cc,
    )
