"""The risks section: each open risk with the prep its kind calls for, or, once the boss
has heard it, the update to give. Pure, like compose.

An incident (it happened) is prepped as the seeds advise for bad news: what was done
about it, how it will not happen again, what stood in the way. A risk ahead (it may
happen) is prepped as a decision: what it would cost, when it would hit, and what the
boss must decide. A risk with no type said is ahead, unless it was recorded with an
incident's prep (`--action`, `--prevention`, `--obstacles`), as risks were before they
had types.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from manageup.digestmodel import Risk
from manageup.kinds import AHEAD_FIELDS, RISK_FIELDS
from manageup.model import Item

INCIDENT_LABELS = {
    "corrective_action": "what you have done about it",
    "prevention_plan": "how it will not happen again",
    "obstacles": "what stood in the way",
}


def ahead_labels(boss: str) -> dict[str, str]:
    return {"impact": "what it would cost if it happens", "when_it_hits": "when it would hit",
            "decision": f"the decision you need from {boss}"}


def kind_of(item: Item) -> str:
    said = item.fields.get("risk_type", "")
    if said:
        return said
    return "incident" if any(item.fields.get(f) for f in RISK_FIELDS) else "ahead"


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def risk(item: Item, boss: str) -> Risk:
    kind = kind_of(item)
    labels = {**INCIDENT_LABELS, **ahead_labels(boss)}
    own = RISK_FIELDS if kind == "incident" else AHEAD_FIELDS
    # What the user wrote down is shown whatever the kind; what is missing, only the kind's.
    parts = tuple((labels[f], item.fields[f]) for f in (*own, *(f for f in labels if f not in own))
                  if item.fields.get(f))
    flagged, escalated = _date(item.fields.get("flagged", "")), \
        _date(item.fields.get("escalated", ""))
    said = [d for d in (flagged, escalated, _date(item.fields.get("updated", ""))) if d]
    # Once the boss has heard it, the prep is done: what is due is the update.
    missing = () if said else tuple(labels[f] for f in own if not item.fields.get(f))
    return Risk(item, parts, missing, flagged or escalated, kind=kind, escalated=escalated,
                since=max(said, default=None))


def risks(items: Iterable[Item], boss: str) -> list[Risk]:
    """Not yet raised first (those are what the boss must not hear elsewhere), the least
    prepared of them first."""
    out = [risk(i, boss) for i in items]
    out.sort(key=lambda r: (r.flagged is not None, -len(r.missing), r.item.id))
    return out
