"""Issue 12: a request's database work runs off the event loop. A route that awaits nothing is a plain `def`, which
FastAPI runs in its thread pool; an `async def` route with no `await` would run its SQL (and, for a write, the wait
for the write gate) on the loop and stall every other request of the process meanwhile."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
METHODS = {"get", "post", "put", "patch", "delete"}
NO_DATABASE = {"healthz", "logout"}  # they answer from memory (logout clears the signed cookie): the loop is fine


def _routes() -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found = []
    for path in sorted([*ROOT.glob("api/routes_*.py"), *ROOT.glob("api/pages*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                    isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in METHODS
                    for d in node.decorator_list):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno} {node.name}", node))
    return found


def test_a_route_that_awaits_nothing_runs_in_the_thread_pool() -> None:
    routes = _routes()
    assert len(routes) > 150
    on_the_loop = [name for name, node in routes if isinstance(node, ast.AsyncFunctionDef)
                   and node.name not in NO_DATABASE and not any(
        isinstance(x, ast.Await | ast.AsyncFor | ast.AsyncWith) for x in ast.walk(node))]
    assert on_the_loop == [], "make these plain `def` routes:\n" + "\n".join(on_the_loop)
