"""Demo data: the staff accounts of ARCHITECTURE.md and the signed providers of 2019 (seed 000 四)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from db.models import Organization, User
from rules.cities import CITIES

DEMO_PASSWORD = "demo168"
PROVIDERS_2019 = Path(__file__).parent / "seed_data" / "providers_2019.json"


def demo_users() -> list[dict[str, str | None]]:
    """(username, role, city, display name) of the demo staff."""
    out: list[dict[str, str | None]] = [{"username": "admin", "role": "admin", "city": None, "name": "系统管理员"}]
    out += [{"username": f"operator{i}", "role": "operator", "city": None, "name": f"服务中心审核员{i}"} for i in (1, 2)]
    out += [{"username": f"department{i}", "role": "department", "city": None, "name": f"工信厅审批员{i}"} for i in (1, 2)]
    out += [{"username": f"expert{i}", "role": "expert", "city": None, "name": f"评审专家{i}"} for i in range(1, 6)]
    out += [{"username": f"city_{c}", "role": "city_bureau", "city": c, "name": f"{label}工业和信息化局"}
            for c, label in CITIES.items()]
    return out


def seed_demo(session: Session, *, password_hash: str, now: datetime) -> int:
    """Create whatever of the demo data is missing; returns how many rows were added."""
    added = 0
    existing = set(session.exec(select(User.username)).all())
    for u in demo_users():
        if u["username"] in existing:
            continue
        session.add(User(username=str(u["username"]), password_hash=password_hash, role=str(u["role"]), city=u["city"],
                         display_name=str(u["name"]), status="active", created_at=now))
        added += 1
    names = set(session.exec(select(Organization.name).where(Organization.signed_source == "seed:2019")).all())
    for e in json.loads(PROVIDERS_2019.read_text(encoding="utf-8")):
        if e["name"] in names:
            continue
        session.add(Organization(kind="provider", name=e["name"], city=e.get("city"), categories=[e["category"]],
                                 signed=True, signed_at=now, signed_source="seed:2019", created_at=now))
        names.add(e["name"])
        added += 1
    session.flush()
    return added
