"""The compliance page's data: which safeguards are in force (owners and admins)."""

from __future__ import annotations

from fastapi import APIRouter

from quietline.actions.compliance import compliance_checks
from quietline.api import schemas as s
from quietline.api.access import ServicesDep, SignedIn
from quietline.storage.unit import Unit

router = APIRouter(tags=["practice administration"])


@router.get("/compliance", response_model=s.ComplianceOut)
async def compliance(actor: SignedIn, svc: ServicesDep) -> s.ComplianceOut:
    """Second-factor coverage, encryption, backups, restore tests, audit verification and
    forgotten devices, each with a plain explanation."""

    def read(unit: Unit) -> s.ComplianceOut:
        return s.ComplianceOut(
            checks=[
                s.ComplianceCheckOut(
                    key=c.key,
                    title=c.title,
                    state=c.state,
                    summary=c.summary,
                    explanation=c.explanation,
                )
                for c in compliance_checks(unit, actor)
            ],
            generated_at=unit.now,
        )

    return await svc.db.read(read)
