"""The layering of api/ (issue 8 item 4; shared/STYLE.md "Routes and pages call services"): the HTML pages and the
services never import a route module, and the services never import a page module. A page calls
api/services/<area>.py; a route is the HTTP adapter over the same service."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[2] / "api"
PAGES = sorted(API.glob("pages*.py"))
SERVICES = sorted((API / "services").glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, by its dotted name (`from api import routes_x` counts as api.routes_x), at any
    depth (a function-level import counts too)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def offending(path: Path, prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in imported_modules(path) if m.startswith(prefixes))


def test_the_modules_are_found() -> None:
    assert len(PAGES) >= 10 and len(SERVICES) >= 8


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_never_import_route_modules(path: Path) -> None:
    assert offending(path, ("api.routes_",)) == [], f"{path.name} imports a route module; call api/services/ instead"


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_services_import_neither_routes_nor_pages(path: Path) -> None:
    assert offending(path, ("api.routes_", "api.pages", "fastapi")) == [], \
        f"services/{path.name} depends on the HTTP or HTML layer"


def test_the_check_sees_every_import_form(tmp_path: Path) -> None:
    probe = tmp_path / "pages_probe.py"
    probe.write_text("from api import routes_a\nfrom api.routes_b import f\nimport api.routes_c\n"
                     "def g():\n    from api import routes_d\n", encoding="utf-8")
    found = offending(probe, ("api.routes_",))
    assert {"api.routes_a", "api.routes_b", "api.routes_c", "api.routes_d"} <= set(found)
