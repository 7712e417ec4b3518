"""Content builders of window-platform onboarding (P4; seed 004 art. 8-10, 9(6), 13), GB/T 9704 layout.

The approval (批复) and the hub-window cooperation agreement are the shared ones of documents/content_network.py;
the public notice is the shared 公示 of documents/content_platform.py given the window's list; the disconnection
notice and the mutual agreement between two windows are here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from documents.content_common import NETWORK_RULES, issuer_name, official, sentence
from documents.content_network import cooperation_agreement, onboarding_approval
from documents.content_platform import public_notice
from documents.model import FormDocument, Heading, OfficialDocument, Paragraph, format_cn_date

__all__ = [
    "cooperation_agreement",
    "disconnection_notice",
    "mutual_agreement",
    "onboarding_approval",
    "window_public_notice",
]

COVERAGE_ZH = {"region": "区域", "industry": "行业"}
Ground = Literal["revoked", "withdrawn"]


def window_public_notice(
    *,
    number: int,
    year: int,
    issued_on: date,
    windows: Sequence[tuple[str, str, str, str]],
    starts_on: date,
    ends_on: date,
    working_days: int | None,
    contact_name: str,
    contact_phone: str,
) -> OfficialDocument:
    """The 公示 of windows approved to join the network: (platform, builder, city, coverage) rows (004 art. 10
    "评审通过报自治区非公经济局批准后公示")."""
    return public_notice(
        number=number, year=year, issued_on=issued_on, subject=f"{year}年度拟接入自治区中小企业公共服务平台网络的窗口平台名单",
        basis=f"{NETWORK_RULES}第十条", procedure="经申请单位申报、枢纽平台组织专家评估审查并报批准",
        headers=["窗口平台名称", "建设单位", "所在地区", "覆盖范围"], rows=[list(w) for w in windows],
        starts_on=starts_on, ends_on=ends_on, working_days=working_days, contact_name=contact_name,
        contact_phone=contact_phone, issuer="department")


def disconnection_notice(
    *,
    number: int,
    year: int,
    issued_on: date,
    platform_name: str,
    platform_org: str,
    reason: str,
    ground: Ground,
    connected_on: date | None = None,
    cc: Sequence[str] = (),
) -> OfficialDocument:
    """The hub's notice that a window leaves the network and its cooperation agreement ends: its qualification was
    revoked (004 art. 13) or its builder withdrew."""
    if ground not in ("revoked", "withdrawn"):
        raise ValueError(f"unknown ground {ground!r}; expected revoked or withdrawn")
    since = f"自{format_cn_date(connected_on)}起" if connected_on else ""
    basis = {
        "revoked": f"根据{NETWORK_RULES}第十三条规定，{platform_name}窗口平台资格经提请已予撤销",
        "withdrawn": f"{platform_org}申请{platform_name}退出平台网络",
    }[ground]
    blocks = [
        Paragraph(text=f"{platform_name}（建设单位：{platform_org}）{since}作为窗口平台接入自治区中小企业公共服务平台网络。"),
        Paragraph(text=f"{basis}。原因：{sentence(reason)}"),
        Paragraph(
            text=f"自本通知印发之日起，{platform_name}退出平台网络，不再以窗口平台名义开展服务，与枢纽平台签订的服务合作协议"
            "随之终止，并从窗口平台名单中移除；尚未报送的服务计划、服务数据和服务总结不再报送。"
        ),
        Paragraph(text="请各窗口平台和合作服务机构知悉，做好相关服务的衔接工作。"),
    ]
    return official(
        kind="disconnection_notice",
        issuer="operator",
        number=number,
        year=year,
        title=f"关于{platform_name}退出自治区中小企业公共服务平台网络的通知",
        recipients=f"{platform_org}，各窗口平台：",
        blocks=blocks,
        issued_on=issued_on,
        cc=cc,
    )


def mutual_agreement(
    *,
    agreement_no: str,
    first: tuple[str, str],
    second: tuple[str, str],
    signed_on: date,
    scope: str,
) -> FormDocument:
    """A cooperation agreement between two windows, (platform, builder) each (004 art. 9(6) "窗口平台之间互签合作协议")."""
    hub = issuer_name("operator")
    blocks = [
        Paragraph(text=f"甲方：{first[1]}（{first[0]}）", indent_first_line=False),
        Paragraph(text=f"乙方：{second[1]}（{second[0]}）", indent_first_line=False),
        Paragraph(text=f"根据{NETWORK_RULES}第九条第（六）项，双方作为平台网络的窗口平台，在{hub}指导下订立本协议。"),
        Heading(level=1, text="一、合作内容"),
        Paragraph(text=sentence(scope)),
        Heading(level=1, text="二、信息沟通"),
        Paragraph(text="双方定期沟通服务开展和运营情况，共享服务资源和服务需求，协同开展服务产品开发和推广。"),
        Heading(level=1, text="三、其他"),
        Paragraph(text="任何一方退出平台网络的，本协议随之终止。本协议一式三份，双方各执一份，报枢纽平台备案一份。"),
        Paragraph(text="（以下无正文）", indent_first_line=False, align="center"),
        Paragraph(text=f"甲方（盖章）：{first[1]}", indent_first_line=False),
        Paragraph(text=f"乙方（盖章）：{second[1]}", indent_first_line=False),
        Paragraph(text=f"签订日期：{format_cn_date(signed_on)}", indent_first_line=False),
    ]
    return FormDocument(kind="mutual_agreement", title="窗口平台服务合作协议", blocks=blocks, date=signed_on,
                        serial=agreement_no)
