"""The type of a form field that holds an upload id: the web form shows it as a file picker (api/pages_forms.py reads
the mark from the JSON schema), the API takes the id `POST /api/uploads` returned."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import Field

UPLOAD_FORMAT = "upload-id"  # the JSON schema's "format" of an upload id

# One uploaded file (its id); `list[UploadId]` for several.
UploadId = Annotated[str, Field(min_length=1, max_length=64, json_schema_extra={"format": UPLOAD_FORMAT})]


# --- other widgets the web form builds from a field's JSON schema ------------------------------------------------------

SCORE_MAP_FORMAT = "score-map"  # dict criterion -> number: one number field per named criterion
FIGURE_MAP_FORMAT = "figure-map"  # dict indicator -> figure (number or words): one field per named indicator
BASIS_POINTS_FORMAT = "basis-points"  # an integer in basis points, asked and shown in percent
NAMED_MAP_FORMAT = "named-map"  # dict of named keys -> value: one input (or one fieldset) per named key


def score_map(*, criteria: list[str] | None = None, criteria_from: str = "", figures: bool = False) -> dict[str, object]:
    """The JSON-schema mark of a map keyed by named criteria: fixed `criteria` (the key is the name), or
    `criteria_from`, the case data's list of {"key", "name"} (e.g. an assessment's indicator set)."""
    out: dict[str, object] = {"format": FIGURE_MAP_FORMAT if figures else SCORE_MAP_FORMAT}
    if criteria:
        out["criteria"] = list(criteria)
    if criteria_from:
        out["criteria_from"] = criteria_from
    return out


BASIS_POINTS: dict[str, object] = {"format": BASIS_POINTS_FORMAT}


def named_map(names: Mapping[str, str], sub: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, object]:
    """The JSON-schema mark of a map whose keys are known and named (e.g. a certification's materials by key, its
    service functions): the web form asks one input per key, of the map's value type, and leaves out the keys left
    blank. `sub` names the keys of a key's own map (a function's figures), asked as a fieldset of its own."""
    # Pairs, not objects: the JSON schema sorts an object's keys, the page keeps the order given (the articles').
    out: dict[str, object] = {"format": NAMED_MAP_FORMAT, "names": [[k, v] for k, v in names.items()]}
    if sub:
        out["sub"] = [[k, [[n, label] for n, label in v.items()]] for k, v in sub.items()]
    return out
