"""Shared pieces of the content builders: issuers, money and numbering helpers, the official-document frame."""

from collections.abc import Sequence
from datetime import date

from documents.model import Block, OfficialDocument, Signature, Table, format_cn_date

# Issuer key -> (机关全称, 机关代字). The key is what callers and the per-issuer number counter use.
ISSUERS: dict[str, tuple[str, str]] = {
    "department": ("宁夏回族自治区工业和信息化厅", "宁工信发"),
    "operator": ("宁夏回族自治区中小企业服务中心", "宁中小服发"),
    "yinchuan": ("银川市工业和信息化局", "银工信发"),
    "shizuishan": ("石嘴山市工业和信息化局", "石工信发"),
    "wuzhong": ("吴忠市工业和信息化局", "吴工信发"),
    "guyuan": ("固原市工业和信息化局", "固工信发"),
    "zhongwei": ("中卫市工业和信息化局", "卫工信发"),
}

CITY_NAMES: dict[str, str] = {
    "yinchuan": "银川市",
    "shizuishan": "石嘴山市",
    "wuzhong": "吴忠市",
    "guyuan": "固原市",
    "zhongwei": "中卫市",
}

RATING_LABELS: dict[str, str] = {"excellent": "优秀", "qualified": "合格", "failed": "不合格"}

_DIGITS = "零一二三四五六七八九"


def fen_to_yuan_str(fen: int) -> str:
    """Show integer fen as yuan with thousands separators and two decimals: 123456 -> "1,234.56元"."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"money must be integer fen, got {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{cents:02d}元"


def issuer_name(key: str) -> str:
    """The full name of an issuer key."""
    return _issuer(key)[0]


def _issuer(key: str) -> tuple[str, str]:
    """Look an issuer up, naming the known keys when it is unknown."""
    try:
        return ISSUERS[key]
    except KeyError:
        raise ValueError(f"unknown issuer {key!r}; known: {', '.join(ISSUERS)}") from None


def cn_ordinal(n: int) -> str:
    """Chinese ordinal numeral for heading numbers: 1 -> 一, 10 -> 十, 12 -> 十二, 21 -> 二十一."""
    if not 1 <= n <= 99:
        raise ValueError(f"ordinal out of range: {n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else f"{_DIGITS[tens]}十")
    return head + (_DIGITS[ones] if ones else "")


def numbered_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A list table with a leading 序号 column."""
    return Table(
        headers=["序号", *headers],
        rows=[[str(index), *row] for index, row in enumerate(rows, start=1)],
    )


def sign_off(name: str, on: date) -> Signature:
    """A signing block: the body's name over the date."""
    return Signature(lines=[name, format_cn_date(on)])


def official(
    *,
    kind: str,
    issuer: str,
    number: int,
    year: int,
    title: str,
    recipients: str | None,
    blocks: list[Block],
    issued_on: date,
    print_date: date | None = None,
    cc: Sequence[str] = (),
    note: str | None = None,
) -> OfficialDocument:
    """Frame content as an official document of an issuer: header, number, signer, 版记."""
    name, code = _issuer(issuer)
    return OfficialDocument(
        kind=kind,
        issuer_name=f"{name}文件",
        issuer_code=code,
        year=year,
        number=number,
        title=title,
        recipients=recipients,
        blocks=blocks,
        signer=name,
        date=issued_on,
        printer=f"{name}办公室",  # 印发机关: the issuing body's office (GB/T 9704 §7.4.3)
        print_date=print_date or issued_on,
        cc=list(cc),
        note=note,
    )


SATISFACTION_LABELS: dict[str, str] = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}

VOUCHER_RULES_2016 = "《宁夏回族自治区小微企业服务补贴券业务管理暂行办法》（宁非公经发〔2016〕73号）"
VOUCHER_RULES_2017 = "《宁夏回族自治区小微企业服务补贴券使用管理办法（试行）》（宁非公经发〔2017〕101号）"
PLATFORM_RULES = "《宁夏回族自治区中小企业公共服务示范平台认定管理办法》"
NETWORK_RULES = "《宁夏回族自治区中小企业公共服务平台网络运营管理暂行办法》"


def sentence(text: str) -> str:
    """End a caller's free text with a full stop unless it already ends with punctuation."""
    text = text.strip()
    if not text:
        raise ValueError("text is empty")
    return text if text[-1] in "。！？；" else f"{text}。"


def per_cent(part: int, whole: int) -> str:
    """A share as a percentage with one decimal, computed in integers (no float rounding)."""
    if whole <= 0:
        raise ValueError("whole must be positive")
    per_mille = (part * 1000 + whole // 2) // whole
    return f"{per_mille // 10}.{per_mille % 10}%"
