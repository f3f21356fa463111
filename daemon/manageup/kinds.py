"""The kinds of recorded items and their fields: plain constants, apart from model.py so
that the verb table (and `--help`) can name them without building the record classes."""

from __future__ import annotations

KINDS = ("need", "owe", "goal", "risk", "career", "win", "topic", "about")

# Kind-specific fields, in the order the digest asks about them. A risk is an incident
# (it happened: prep the fix, the prevention, what stood in the way) or a risk ahead (it
# may happen, the default: prep its impact, when it would hit, the decision needed).
RISK_FIELDS = ("corrective_action", "prevention_plan", "obstacles")
AHEAD_FIELDS = ("impact", "when_it_hits", "decision")
RISK_TYPES = ("ahead", "incident")
PROBE_FIELDS = ("why_it_matters", "what_gets_in_the_way", "what_it_costs", "how_i_can_help")
# about: `question` names the get-to-know question an answer came from (set by review).
# win, owe: `goal` is the id of the boss's goal it serves.
# owe: `advised` is the day the boss advised it, when it came from their advice (review).
# risk: `flagged` is the date it was raised with the boss, `escalated` the date it was
# taken higher, `updated` the last review that said where it stands (set by review).
RISK_STATE = ("flagged", "escalated", "updated")
KIND_FIELDS: dict[str, tuple[str, ...]] = {"risk": (*RISK_FIELDS, *AHEAD_FIELDS, "risk_type",
                                                    *RISK_STATE),
                                           "goal": PROBE_FIELDS,
                                           "about": ("question",),
                                           "win": ("goal",), "owe": ("goal", "advised")}
ITEM_STATUSES = ("open", "done", "dropped")
MAX_TEXT = 10_000  # characters in an item's text or a field; a note, not a document
MAX_ID = 2**63 - 1  # SQLite's INTEGER PRIMARY KEY

# Friendly option names for kind-specific fields: (option, help). Errors name the option,
# never the internal field name.
FIELD_OPTIONS = {
    "corrective_action": ("--action", "risk: what you did or will do about it"),
    "prevention_plan": ("--prevention", "risk: how it will not happen again"),
    "obstacles": ("--obstacles", "risk: what stood in the way"),
    "why_it_matters": ("--why", "goal: why it matters to the boss"),
    "what_gets_in_the_way": ("--blocker", "goal: what gets in the way"),
    "what_it_costs": ("--cost", "goal: what it costs while unsolved"),
    "how_i_can_help": ("--help-how", "goal: how your work can help"),
    "risk_type": ("--type", "risk: incident (it happened) or ahead (it may happen; the "
                            "default)"),
    "impact": ("--impact", "risk ahead: what it would cost if it happens"),
    "when_it_hits": ("--when", "risk ahead: when it would hit"),
    "decision": ("--decision", "risk ahead: the decision you need from your boss"),
    "question": ("--answers", "about: the get-to-know question it answers (its id, e.g. "
                              "know-communication), so the digest does not ask it"),
    "goal": ("--goal", "win, owe: the number of the boss's goal it serves"),
}
FIELD_METAVARS = {"question": "ID", "risk_type": "TYPE", "goal": "ID"}  # the rest take TEXT
FIELD_CHOICES = {"risk_type": RISK_TYPES}  # offered by tab completion; check_item holds to them
