"""Web forms from the form models' JSON schema, their parsing (元 -> fen), and data shown as labelled rows."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from api import pages_i18n as i18n
from api.pages_common import fmt_dt
from forms.provider_admission import ServiceItem
from forms.registration import OrgForm
from forms.registry import forms
from forms.uploads import BASIS_POINTS_FORMAT, FIGURE_MAP_FORMAT, NAMED_MAP_FORMAT, SCORE_MAP_FORMAT, UPLOAD_FORMAT

PREFIX = "f."
LONG_TEXT = ("opinion", "description", "report", "plan", "reason", "comment", "summary")
MAX_ROWS = 100
UPLOAD_FIELDS = ("materials", "attachments", "licences")  # lists of upload ids: a file input on the page


@dataclass
class FormField:
    """One input of a web form built from a model's JSON schema."""

    name: str  # the data path, e.g. "score" or "service_items"
    label: str
    kind: str  # text | textarea | integer | number | money | bool | select | checkboxes | lines | items | group | json
    #            | upload (one file: an upload id) | uploads (several) | map (one input per named criterion)
    #            | percent (basis points asked in percent) | named (a map of named keys: one sub-field per key, the
    #            blank ones left out)
    required: bool = False
    options: dict[str, str] = field(default_factory=dict)
    minimum: Any = None
    maximum: Any = None
    max_length: int | None = None
    sub: list[FormField] = field(default_factory=list)
    criteria: dict[str, str] = field(default_factory=dict)  # map: key -> name of each criterion's input
    criteria_from: str = ""  # map: the case data's list of {"key", "name"} naming the criteria
    number: bool = True  # map: number inputs (scores) or free figures
    known: dict[str, tuple[str, str]] = field(default_factory=dict)  # map: other keys it holds -> (label, value)

    @property
    def html(self) -> str:
        return PREFIX + self.name


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return dict(schema.get("$defs", {}).get(ref.split("/")[-1], {}))
    for key in ("anyOf", "oneOf"):
        choices = [c for c in node.get(key, []) if c.get("type") != "null"]
        if len(choices) == 1:
            return {**{k: v for k, v in node.items() if k != key}, **_resolve(schema, choices[0])}
    return node


def _label(name: str, prop: dict[str, Any]) -> str:
    title = str(prop.get("title") or "")
    if name.endswith("_fen"):
        title = re.sub(r"（分[^）]*）", "（元）", title) or i18n.FIELD_LABELS.get(name, name) + "（元）"
    return title if re.search(r"[\u4e00-\u9fff]", title) else i18n.FIELD_LABELS.get(name, title or name)


def _field(schema: dict[str, Any], name: str, path: str, prop: dict[str, Any], required: bool) -> FormField:
    node = _resolve(schema, prop)
    kind_of = node.get("type")
    f = FormField(name=path, label=_label(name, {**node, **prop}), kind="text", required=required,
                  minimum=node.get("minimum", node.get("exclusiveMinimum")),
                  maximum=node.get("maximum", node.get("exclusiveMaximum")), max_length=node.get("maxLength"))
    fmt = node.get("format") or prop.get("format")
    if kind_of == "object" and fmt in (SCORE_MAP_FORMAT, FIGURE_MAP_FORMAT):
        extra = node.get("additionalProperties")
        values = _resolve(schema, extra) if isinstance(extra, dict) else {}
        f.kind, f.number, f.criteria_from = "map", fmt == SCORE_MAP_FORMAT, str(node.get("criteria_from") or "")
        f.criteria = {str(c): str(c) for c in node.get("criteria", [])}
        f.minimum, f.maximum = values.get("minimum"), values.get("maximum")
        f.label = re.sub(r"（[^）]*[：:][^）]*）", "", f.label)
        return f
    if kind_of == "object" and fmt == NAMED_MAP_FORMAT:
        extra = node.get("additionalProperties")
        value = _resolve(schema, extra) if isinstance(extra, dict) else {}
        subs = {str(k): v for k, v in node.get("sub") or []}
        f.kind = "named"
        for key, name in node.get("names") or []:
            prop_k = {**value, "title": str(name)}
            if key in subs:  # the key's own map is named too (e.g. a service function's figures)
                prop_k.update(format=NAMED_MAP_FORMAT, names=subs[key])
            f.sub.append(_field(schema, str(key), f"{path}.{key}", prop_k, False))
        return f
    if kind_of == "integer" and fmt == BASIS_POINTS_FORMAT:
        f.kind = "percent"
        return f
    if kind_of == "string" and node.get("format") == UPLOAD_FORMAT:
        f.kind, f.label = "upload", re.sub(r"[，,]?\s*上传后的文件编号", "", f.label)
    elif name in i18n.OPTIONS and kind_of == "string":
        f.kind, f.options = "select", i18n.OPTIONS[name]
    elif "enum" in node or "const" in node:
        values = node.get("enum") or [node.get("const")]
        f.kind, f.options = "select", {str(v): i18n.OPTIONS.get(name, {}).get(str(v), str(v)) for v in values}
    elif kind_of == "string":
        f.kind = "textarea" if (f.max_length or 0) > 200 or name in LONG_TEXT else "text"
    elif kind_of == "integer":
        f.kind = "money" if name.endswith("_fen") else "integer"
    elif kind_of == "number":
        f.kind = "number"
    elif kind_of == "boolean":
        f.kind = "bool"
    elif kind_of == "array":
        items = _resolve(schema, node.get("items", {}))
        if items.get("type") == "object" and items.get("properties"):
            f.kind, f.sub = "items", fields_of(schema, items, prefix="")
        elif name in i18n.OPTIONS:
            f.kind, f.options = "checkboxes", i18n.OPTIONS[name]
        elif items.get("format") == UPLOAD_FORMAT or name in UPLOAD_FIELDS:
            f.kind, f.label = "uploads", re.sub(r"[，,]?\s*上传后的文件编号", "", f.label)
        else:
            f.kind = "lines"
    elif kind_of == "object" and node.get("properties"):
        f.kind, f.sub = "group", fields_of(schema, node, prefix=path + ".")
    else:
        f.kind = "json"
    return f


def fields_of(schema: dict[str, Any], node: dict[str, Any] | None = None, prefix: str = "") -> list[FormField]:
    node = schema if node is None else node
    required = set(node.get("required", []))
    return [_field(schema, name, prefix + name, prop, name in required)
            for name, prop in node.get("properties", {}).items()]


def form_fields(model: type[BaseModel]) -> list[FormField]:
    return fields_of(model.model_json_schema())


def with_criteria(fields: list[FormField], case_data: dict[str, Any], values: dict[str, list[str]]) -> list[FormField]:
    """Name the criteria of the map fields whose criteria the case's data lists (e.g. an assessment's indicators);
    the other figures a map holds (known to the system, pre-filled) are kept and shown, not asked."""
    for f in walk(fields):
        if f.kind != "map":
            continue
        if f.criteria_from:
            rows = case_data.get(f.criteria_from) or []
            f.criteria = {str(r["key"]): str(r.get("name") or r["key"]) for r in rows
                          if isinstance(r, dict) and r.get("key")} or f.criteria
        prefix = f.html + "."
        f.known = {k[len(prefix):]: (TITLES.get(k[len(prefix):], k[len(prefix):]), (v or [""])[0])
                   for k, v in values.items() if k.startswith(prefix) and k[len(prefix):] not in f.criteria}
        if not f.criteria_from and not f.criteria:  # no names known: every key it holds is asked
            f.criteria = {k: label for k, (label, _) in f.known.items()}
            f.known = {}
    return fields


def walk(fields: list[FormField]) -> list[FormField]:
    """The fields and those of their groups (not the rows of a table), depth first."""
    out: list[FormField] = []
    for f in fields:
        out.append(f)
        if f.kind in ("group", "named"):
            out.extend(walk(f.sub))
    return out


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *head, last = path.split(".")
    for part in head:
        nxt = data.get(part)
        if not isinstance(nxt, dict):
            nxt = data[part] = {}
        data = nxt
    data[last] = value


def _at(data: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)  # type: ignore[assignment]
    return data


# --- parsing --------------------------------------------------------------------------------------------


def parse_yuan(raw: str) -> int | None:
    """'1,234.5' 元 -> 123450 fen; None if it is not an amount with at most two decimals."""
    cleaned = raw.replace(",", "").replace("，", "").replace("元", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) > Decimal("1e13") or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


def _scalar(f: FormField, raw: str) -> tuple[Any, str | None]:
    """The typed value of one input, or an error of our own (a wrong type is left for the model to word)."""
    if f.kind == "integer":
        try:
            return int(raw), None
        except ValueError:
            return raw, None
    if f.kind == "number":
        try:
            return float(raw), None
        except ValueError:
            return raw, None
    if f.kind == "percent":
        pct = parse_yuan(raw.rstrip("%％"))  # a percentage with two decimals = basis points
        return (0, "请输入百分比，如 4 或 4.5") if pct is None else (pct, None)
    if f.kind == "money":
        fen = parse_yuan(raw)
        return (0, "请输入金额（元），最多两位小数") if fen is None else (fen, None)
    if f.kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()], None
    if f.kind == "json":
        try:
            return json.loads(raw), None
        except ValueError:
            return None, "请填写有效的 JSON"
    return raw, None


def _number(raw: str) -> int | float | None:
    try:
        value = float(raw.replace(",", ""))
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


def _parse_map(f: FormField, form: FormData, key: str, errors: dict[str, str], base: str) -> dict[str, Any]:
    """One input per criterion (`f.scores.<criterion>`), blanks left out; what the page kept aside (`~json`) first."""
    out: dict[str, Any] = {}
    kept = _get(form, key + "~json")
    if kept:
        try:
            loaded = json.loads(kept)
            out.update(loaded if isinstance(loaded, dict) else {})
        except ValueError:
            pass
    for name in form:
        if not name.startswith(key + ".") or not (raw := _get(form, name)):
            continue
        criterion = name[len(key) + 1:]
        number = _number(raw)
        if f.number and number is None:
            errors[f"{base}{f.name}.{criterion}"] = "请输入数字"
        out[criterion] = number if number is not None else raw
    return out


def _get(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def parse_fields(fields: list[FormField], form: FormData, errors: dict[str, str], remap: dict[str, str],
                 *, base: str = "") -> dict[str, Any]:
    """The data of the posted fields (empty optional inputs left out so the model's default applies).

    `errors` gets our own input errors by input path; `remap` maps a data row prefix to its input row prefix
    (blank rows of a table are skipped, so the model's row numbers may differ from the page's).
    """
    data: dict[str, Any] = {}
    for f in fields:
        key = PREFIX + base + f.name
        short = f.name.rsplit(".", 1)[-1]
        if f.kind == "checkboxes":
            data[short] = [v for v in form.getlist(key) if isinstance(v, str) and v]
        elif f.kind == "bool":
            data[short] = form.get(key) in ("on", "true", "1")
        elif f.kind in ("lines", "uploads"):
            lines = [ln.strip() for v in form.getlist(key) if isinstance(v, str) for ln in v.splitlines() if ln.strip()]
            if lines or f.required:
                data[short] = lines
        elif f.kind == "group":
            data[short] = parse_fields(f.sub, form, errors, remap)
        elif f.kind == "named":  # the keys left blank are not in the map
            named = parse_fields(f.sub, form, errors, remap)
            data[short] = {k: v for k, v in named.items() if v not in ({}, [], None, "")}
        elif f.kind == "map":
            data[short] = _parse_map(f, form, key, errors, base)
        elif f.kind == "items":
            rows: list[dict[str, Any]] = []
            for i in range(MAX_ROWS):
                prefix = f"{base}{f.name}.{i}."
                if not any(k.startswith(PREFIX + prefix) for k in form):
                    break
                if not any(_get(form, PREFIX + prefix + s.name) for s in f.sub):
                    continue
                remap[f"{base}{f.name}.{len(rows)}."] = prefix
                rows.append(parse_fields(f.sub, form, errors, remap, base=prefix))
            data[short] = rows
        else:
            raw = _get(form, key)
            if raw == "":
                continue
            data[short], problem = _scalar(f, raw)
            if problem:
                errors[base + f.name] = problem
    return data


def parse_form(fields: list[FormField], form: FormData, model: type[BaseModel],
               uploaded: dict[str, list[str]] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The posted data validated by the model (as the API will validate it) and the errors by input path.

    `uploaded` adds the ids of files just uploaded to their upload fields (by dotted path; a one-file field takes
    the new file in place of the one it held).
    """
    errors: dict[str, str] = {}
    remap: dict[str, str] = {}
    data = parse_fields(fields, form, errors, remap)
    single = {f.name for f in walk(fields) if f.kind == "upload"}
    for name, ids in (uploaded or {}).items():  # a file posted to a one-file field replaces the one it held
        before = _at(data, name)
        _put(data, name, ids[-1] if name in single else [*(before if isinstance(before, list) else []), *ids])
    try:
        model.model_validate(data)
    except ValidationError as exc:
        for path, message in model_errors(exc).items():
            for row, html_row in sorted(remap.items(), key=lambda kv: -len(kv[0])):
                if path.startswith(row):
                    path = html_row + path[len(row):]
                    break
            errors.setdefault(path, message)
    return data, errors


def model_errors(exc: ValidationError) -> dict[str, str]:
    """'dotted.path' -> Chinese message ('' for the model as a whole)."""
    out: dict[str, str] = {}
    for err in exc.errors():
        path = ".".join(str(p) for p in err.get("loc", ()))
        out.setdefault(path, i18n.pydantic_zh(dict(err)))
    return out


def values_from_form(form: FormData) -> dict[str, list[str]]:
    return {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}


def values_from_data(fields: list[FormField], data: dict[str, Any], *, base: str = "") -> dict[str, list[str]]:
    """The inputs' initial values from existing data (money in 元)."""
    out: dict[str, list[str]] = {}
    for f in fields:
        short = f.name.rsplit(".", 1)[-1]
        if short not in data or data[short] is None:
            continue
        value, key = data[short], PREFIX + base + f.name
        if f.kind in ("group", "named") and isinstance(value, dict):
            out.update(values_from_data(f.sub, value))
        elif f.kind == "items" and isinstance(value, list):
            for i, row in enumerate(value):
                if isinstance(row, dict):
                    out.update(values_from_data(f.sub, row, base=f"{base}{f.name}.{i}."))
        elif f.kind == "map" and isinstance(value, dict):
            kept = {k: v for k, v in value.items() if isinstance(v, dict | list)}
            for k, v in value.items():
                if k not in kept:
                    out[f"{key}.{k}"] = ["" if v is None else str(v)]
            if kept:
                out[key + "~json"] = [json.dumps(kept, ensure_ascii=False)]
        elif f.kind == "percent" and isinstance(value, int):
            out[key] = [f"{Decimal(value) / 100:g}"]
        elif f.kind == "checkboxes" and isinstance(value, list):
            out[key] = [str(v) for v in value]
        elif f.kind == "money" and isinstance(value, int):
            out[key] = [f"{Decimal(value) / 100:.2f}"]
        elif f.kind == "bool":
            out[key] = ["on"] if value else []
        elif f.kind == "uploads" and isinstance(value, list):
            out[key] = [str(v) for v in value]
        elif f.kind == "lines" and isinstance(value, list):
            out[key] = ["\n".join(str(v) for v in value)]
        elif f.kind == "json":
            out[key] = [json.dumps(value, ensure_ascii=False)]
        else:
            out[key] = [str(value)]
    return out


def item_rows(f: FormField, values: dict[str, list[str]], minimum: int = 3) -> int:
    n = 0
    while any(k.startswith(f"{PREFIX}{f.name}.{n}.") for k in values):
        n += 1
    return max(n + 1, minimum)


# --- showing data ------------------------------------------------------------------------------------------


def _short(name: str, title: str) -> str:
    return re.sub(r"（[^）]*）$", "", title) if name.endswith("_fen") or len(title) > 12 else title


def _titles() -> dict[str, str]:
    out: dict[str, str] = {}
    for model in (*forms().values(), OrgForm, ServiceItem):
        for name, info in model.model_fields.items():
            if info.title and name not in i18n.FIELD_LABELS:
                out[name] = _short(name, info.title)
    return {**out, **i18n.FIELD_LABELS, **i18n.SPEC_LABELS}


TITLES = _titles()
ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d(T[\d:.]+([+-]\d\d:\d\d|Z)?)?$")
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


def show_value(key: str, value: Any, files: dict[str, str] | None = None) -> dict[str, Any]:
    """A value as a row the templates know: text, list, table, group or upload."""
    files = files or {}
    if isinstance(value, dict):
        return {"kind": "group", "rows": readable(value, files)}
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            keys = [k for k in dict.fromkeys(k for v in value for k in v) if not hidden(k)]
            return {"kind": "table", "head": [TITLES.get(k, k) for k in keys],
                    "rows": [[show_value(k, v.get(k), files) for k in keys] for v in value]}
        return {"kind": "list", "items": [show_value(key, v, files) for v in value]}
    if isinstance(value, bool):
        return {"kind": "text", "text": "是" if value else "否"}
    if value is None or value == "":
        return {"kind": "text", "text": "—"}
    if key.endswith("_fen") and isinstance(value, int):
        return {"kind": "text", "text": i18n.yuan(value)}
    if key in i18n.OPTIONS:
        return {"kind": "text", "text": i18n.OPTIONS[key].get(str(value), str(value))}
    if key == "status" and isinstance(value, str):
        return {"kind": "text", "text": i18n.CASE_STATUS.get(value, value)}
    if key == "decision" and isinstance(value, str):
        return {"kind": "text", "text": i18n.DECISIONS.get(value, value)}
    if isinstance(value, str) and UPLOAD_ID.match(value):
        return {"kind": "upload", "text": files.get(value, f"材料 {value[:8]}…"), "url": f"/api/uploads/{value}"}
    if isinstance(value, str) and ISO_DATE.match(value):
        return {"kind": "text", "text": fmt_dt(value, with_time="T" in value)}
    return {"kind": "text", "text": str(value)}


def readable(data: dict[str, Any], files: dict[str, str] | None = None,
             model: type[BaseModel] | None = None) -> list[dict[str, Any]]:
    """Labelled rows of a case's or a task's data (upload ids become links named by `files`); `model`, the data's
    form, names its own fields first (a voucher demand's description is 需求描述, a provider's 机构及服务简介)."""
    own = {name: _short(name, info.title) for name, info in (model.model_fields.items() if model else ()) if info.title}
    return [{"label": own.get(k) or TITLES.get(k, k), **show_value(k, v, files)} for k, v in data.items()
            if not hidden(k)]


def hidden(key: str) -> bool:
    """Internal references (an organisation's or a bid's row id) are not for people to read."""
    return (key.endswith("_id") and key not in TITLES) or TITLES.get(key) == ""
