"""Break a long document title into lines the GB/T 9704-2012 way (§7.3.1: 标题回行时，要做到词意完整，排列对称，
长短适宜): only between words, never inside one (示范平台, 服务机构, 有限公司), the lines as even as the words allow."""

import itertools
from functools import cache

import jieba

# Terms of this domain a break must never split; the segmenter alone would cut 示范|平台 or 合作|协议.
DOMAIN_TERMS = (
    "示范平台", "服务平台", "窗口平台", "枢纽平台", "平台网络", "公共服务", "中小企业", "小微企业", "服务机构",
    "签约服务机构", "服务补贴券", "补贴券", "合作协议", "服务合同", "三方服务合同", "工业和信息化厅",
    "工业和信息化局", "有限公司", "公共服务示范平台", "公共服务平台", "公共服务平台网络", "综合服务平台",
    "服务窗口平台", "拟认定", "名单", "绩效考核", "限期整改", "结算情况", "发放和结算",
)
TITLE_CHARS_PER_LINE = 20.0  # 二号 (22 pt) characters in the 156 mm 版心
_OPENERS = "“‘《（〔"
_CLOSERS = "”’》）〕，、。："
_QUOTE_PAIRS = {"“": "”", "《": "》", "（": "）", "〔": "〕"}


@cache
def _tokenizer() -> jieba.Tokenizer:
    """One segmenter with the domain terms (jieba's own dictionary is loaded once, lazily)."""
    tokenizer = jieba.Tokenizer()
    for term in DOMAIN_TERMS:
        tokenizer.add_word(term, freq=10**6)
    return tokenizer


def width(text: str) -> float:
    """Width in Chinese characters: half-width characters count one half."""
    return sum(0.5 if ord(char) < 0x2E80 else 1.0 for char in text)


def _words(text: str) -> list[str]:
    """Unbreakable pieces: words, with 的 joined to the word after it, an opening mark to the word after it,
    a closing mark to the word before it, and digits to the unit after them (2026年度)."""
    pieces: list[str] = []
    pending = ""
    for token in _tokenizer().lcut(text, HMM=False):
        if all(char in _OPENERS for char in token) or token == "的" or token.isdigit():
            pending += token
            continue
        token = pending + token
        pending = ""
        if pieces and all(char in _CLOSERS for char in token):
            pieces[-1] += token
        else:
            pieces.append(token)
    if pending:
        pieces.append(pending)
    return pieces


def _inside_quote(line_ends: str) -> bool:
    """Whether a break after this text falls inside an open quotation or bracket."""
    depth = 0
    for char in line_ends:
        if char in _QUOTE_PAIRS:
            depth += 1
        elif char in _QUOTE_PAIRS.values():
            depth -= 1
    return depth > 0


def break_title(text: str, *, max_chars: float = TITLE_CHARS_PER_LINE) -> list[str]:
    """The title's lines: as few as fit, broken between words, as even as possible (a later line never much longer
    than the one above it), a break inside quotation marks only when nothing else fits."""
    text = text.replace("\n", "")
    if width(text) <= max_chars:
        return [text]
    words = _words(text)
    total = width(text)
    lines_needed = int(-(-total // max_chars))
    for lines in range(lines_needed, len(words) + 1):
        best = _best_split(words, lines, max_chars=max_chars, average=total / lines)
        if best is not None:
            return best
    return [text]  # a single word longer than a line: let the word processor wrap it


def _best_split(words: list[str], lines: int, *, max_chars: float, average: float) -> list[str] | None:
    """The split into `lines` lines of at most max_chars with the least cost (evenness, quotes, shape)."""
    n = len(words)
    # best[i][k]: least cost of putting words[:i] on k lines, with the split points
    best: dict[tuple[int, int], tuple[float, list[int]]] = {(0, 0): (0.0, [])}
    for k in range(1, lines + 1):
        for i in range(1, n + 1):
            for j in range(i):
                if (j, k - 1) not in best:
                    continue
                line = "".join(words[j:i])
                w = width(line)
                if w > max_chars:
                    continue
                cost = (w - average) ** 2
                if i < n and _inside_quote("".join(words[:i])):
                    cost += 40.0
                previous = best[(j, k - 1)]
                splits = previous[1]
                if splits:
                    above = width("".join(words[splits[-2] if len(splits) > 1 else 0:j]))
                    if w > above + 2:  # an inverted pyramid reads badly: keep lines from growing downwards
                        cost += 4.0 * (w - above)
                candidate = (previous[0] + cost, [*previous[1], i])
                if (i, k) not in best or candidate[0] < best[(i, k)][0]:
                    best[(i, k)] = candidate
    if (n, lines) not in best:
        return None
    points = [0, *best[(n, lines)][1]]
    return ["".join(words[a:b]) for a, b in itertools.pairwise(points)]
