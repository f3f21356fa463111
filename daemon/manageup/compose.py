"""Digest from the store snapshot, the occurrence and the 1:1 history. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from manageup.asking import (
    Picker,
    Situation,
    advice_ids,
    bank_ids,
    career_ids,
    person_questions,
    question_banks,
    situation,
)
from manageup.away import covering
from manageup.config import Config
from manageup.detect import stranger
from manageup.digestmodel import (
    Ask,
    CareerSection,
    Digest,
    GoalProbe,
    Meeting,
    Relationship,
)
from manageup.feel import direction, ratings
from manageup.followup import goal_status, is_advice, news_in_writing
from manageup.knowing import known_questions
from manageup.lead import MOST, PACKED, lead_with
from manageup.leadfill import fill
from manageup.model import (
    PROBE_FIELDS,
    BossWeek,
    HistoryEntry,
    Item,
    Match,
    Note,
    Occurrence,
    Snapshot,
)
from manageup.names import name_in_calendar
from manageup.novelty import last_held as last_held_1on1
from manageup.novelty import novelty
from manageup.picture import six_months
from manageup.relationship import HELD, carry_keys, counts, organizer_name
from manageup.risks import risks as risks_of
from manageup.since import lost_lately, since_last
from manageup.textutil import bidi_closed, find_link

SHOW = 5  # a long list of about items collapses to the newest few
SHOW_SHARE = 3  # wins and topics: the newest few, with a count of the rest

PROBE_LABELS = {
    "why_it_matters": "why it matters",
    "what_gets_in_the_way": "what gets in the way",
    "what_it_costs": "what it costs",
    "how_i_can_help": "how my work can help",
}


def compose(snapshot: Snapshot, match: Match, history: Sequence[HistoryEntry], now: datetime,
            config: Config, boss_week: BossWeek | None = None,
            calendar: Sequence[Occurrence] = ()) -> Digest:
    """`calendar`: the other occurrences read, where the user's own out-of-office days
    are (away.py)."""
    zone = config.zone
    now = now.astimezone(zone)
    occ = match.occurrence
    snapshot = _bidi_closed(snapshot)
    open_items = [i for i in snapshot.items if i.status == "open"]
    by_kind: dict[str, list[Item]] = {}
    for i in open_items:
        by_kind.setdefault(i.kind, []).append(i)
    picker = Picker(snapshot, config.digest.question_cooldown, now)
    advice = [n for n in snapshot.notes if n.question_id in career_ids()]
    asks = advice_ids()
    # Only advice moves the talk on to following it through: not their path, nor a "yes".
    sit = situation(history, occ.start, now, config.career.review_dates,
                    len(by_kind.get("career", [])),
                    sum(is_advice(n.question_id, n.text, asks) for n in advice))

    # Dates are judged at the meeting: an item due on Monday is late at Tuesday's 1:1,
    # though the digest goes out on Monday, when it can still be done. Every day count
    # too, so that the Lead, the recap and each section give one number for the same wait.
    at = occ.start.astimezone(zone)
    meeting_day = at.date()
    needs, owes = _asks(snapshot, by_kind, history, now, at, config)
    goals = _goals(by_kind.get("goal", []), snapshot.items, picker, now, meeting_day)

    # A config without the boss's name: the calendar's, before the bare address.
    boss_name = bidi_closed(config.boss.name or name_in_calendar([occ], config.boss_addresses)
                            or config.boss.email)
    risks = risks_of(by_kind.get("risk", []), boss_name)
    meeting = _meeting(match, history, now, at, config, calendar)
    career = _career(advice, snapshot, by_kind.get("career", []), picker, at, config, sit)
    learn_goals = tuple(picker.pick("learn_goals", 3)) if not goals else ()
    packed = boss_week is not None and boss_week.room_on is None
    wins, topics, held_back = _to_share(by_kind, meeting.start.date())
    entry, last_digest = last_held_1on1(history, snapshot.digests, occ.start, now, HELD)
    since = since_last(entry, last_digest, snapshot.items, snapshot.notes, history, occ.start,
                       now, config, PROBE_LABELS, career_ids())
    lead = lead_with(owes, risks, needs, goals, learn_goals, career, boss_name, meeting_day,
                     packed, in_writing=news_in_writing(by_kind.get("about", [])))
    return Digest(
        meeting=meeting,
        me_name=config.me.name,
        boss_name=boss_name,
        generated=now,
        needs=tuple(needs),
        need_ideas=tuple(picker.pick("need_ideas", 2)) if not needs else (),
        owes=tuple(owes),
        goals=tuple(goals),
        learn_goals=learn_goals,
        risks=tuple(risks),
        overdue=tuple(a for a in owes if a.overdue_days > 0),
        career=career,
        relationship=_relationship(history, picker, now, at, config, snapshot, sit),
        wins=tuple(wins[:SHOW_SHARE]),
        topics=tuple(topics[:SHOW_SHARE]),
        wins_more=max(0, len(wins) - SHOW_SHARE),
        topics_more=max(0, len(topics) - SHOW_SHARE),
        held_back=held_back,
        boss_week=boss_week,
        lead=fill(lead, since, wins, by_kind.get("goal", []), boss_name,
                  PACKED if packed else MOST,
                  () if since else lost_lately(history, occ.start, now, config)),
        packed=packed,
        since=since,
        novelty=novelty(snapshot.digests, occ.key, occ.start, now),
    )


def _asks(snapshot: Snapshot, by_kind: dict[str, list[Item]], history: Sequence[HistoryEntry],
          now: datetime, at: datetime, config: Config) -> tuple[list[Ask], list[Ask]]:
    """Needs (longest carried first) and owes (latest first, then by date); `at`: the
    meeting, where dates and day counts are judged."""
    today, meeting_day = now.date(), at.date()
    held = carry_keys(history, now)

    def ask(i: Item) -> Ask:
        carried = len(snapshot.shown_in.get(i.id, frozenset()) & held)
        act_today = i.due is not None and today <= i.due < meeting_day
        late = (meeting_day - i.due).days if i.due and i.due < today else 0
        # Stuck is for what waits on someone: a need not met by its date (or with none),
        # an owe with no date to aim at. An owe not yet due is on schedule.
        waiting = i.due is None or (i.kind == "need" and i.due < meeting_day)
        return Ask(i, days_between(i.created, at), carried, late,
                   waiting and carried >= config.digest.stuck_after, act_today)

    needs = sorted((ask(i) for i in by_kind.get("need", [])),
                   key=lambda a: (-a.carried, -a.age_days, a.item.id))
    owes = sorted((ask(i) for i in by_kind.get("owe", [])),
                  key=lambda a: (-a.overdue_days, not a.act_today,
                                 a.item.due or today + timedelta(days=3650), a.item.id))
    return needs, owes


def _goals(open_goals: list[Item], items: Sequence[Item], picker: Picker, now: datetime,
           meeting_day: date) -> list[GoalProbe]:
    goals = []
    for g in open_goals:
        answered = tuple((PROBE_LABELS[f], g.fields[f]) for f in PROBE_FIELDS if g.fields.get(f))
        next_field = next((f for f in PROBE_FIELDS if not g.fields.get(f)), None)
        goals.append(GoalProbe(
            g, answered, PROBE_LABELS[next_field] if next_field else "",
            picker.shared(f"probe.{next_field}") if next_field else None, next_field or "",
            goal_status(g, items, now, meeting_day)))
    # Least explored goals first: they are where the next question pays most.
    goals.sort(key=lambda p: (len(p.answered), p.item.id))
    return goals


def _meeting(match: Match, history: Sequence[HistoryEntry], now: datetime, at: datetime,
             config: Config, calendar: Sequence[Occurrence]) -> Meeting:
    zone, occ = config.zone, match.occurrence
    last_held = max((h.start for h in history
                     if h.start < now and h.status in HELD and h.start < occ.start),
                    default=None)
    organizer = occ.organizer.email.lower() if occ.organizer else ""
    return Meeting(
        title=bidi_closed(occ.title or "1:1"),
        start=at,
        end=occ.end.astimezone(zone),
        location=bidi_closed(occ.location),
        link=bidi_closed(find_link(occ.url, occ.location, occ.description)),
        reason=match.reason,
        series=occ.uid,
        key=occ.key,
        days_since_last=days_between(last_held, at) if last_held else None,
        moved_from=occ.original_start.astimezone(zone) if occ.moved and occ.original_start
        else None,
        moved_by=organizer_name(organizer, config) if occ.moved else "",
        agenda=bidi_closed(occ.description.strip()) if occ.original_start is None else "",
        organizer_name=organizer_name(organizer, config),
        caution=_caution(occ, config),
        away=_away(occ, calendar, config),
    )


def _bidi_closed(snapshot: Snapshot) -> Snapshot:
    """The user's notes with any direction override they open closed where they end (see
    textutil.bidi_closed): one stray mark would turn the digest's own words around."""
    items = tuple(replace(i, text=bidi_closed(i.text),
                          fields={k: bidi_closed(v) for k, v in i.fields.items()})
                  for i in snapshot.items)
    notes = tuple(replace(n, text=bidi_closed(n.text)) for n in snapshot.notes)
    return replace(snapshot, items=items, notes=notes)


def _to_share(by_kind: dict[str, list[Item]], day: date) -> tuple[list[Item], list[Item], int]:
    """Open wins and topics for this 1:1, newest first. A dated one is meant for the 1:1 on
    or after its date and waits until then."""
    def ready(kind: str) -> list[Item]:
        return sorted((i for i in by_kind.get(kind, []) if i.due is None or i.due <= day),
                      key=lambda i: (i.created, i.id), reverse=True)

    waiting = sum(1 for k in ("win", "topic") for i in by_kind.get(k, [])
                  if i.due is not None and i.due > day)
    return ready("win"), ready("topic"), waiting


def days_between(then: datetime, now: datetime) -> int:
    """Calendar days in the user's zone, never negative: with `--now` in the past, something
    recorded after it counts as today rather than as "-1 days"."""
    return max(0, (now.date() - then.astimezone(now.tzinfo).date()).days)


def _days_since_asked(snapshot: Snapshot, history: Sequence[HistoryEntry], bank_prefix: str,
                      now: datetime, at: datetime) -> int | None:
    """Days from a 1:1 that took place before `now` and had one of these questions on its
    digest to the meeting `at`: a digest of a 1:1 cancelled after it went out asked nobody
    anything."""
    ids = {q.id for name, qs in question_banks().items() if name.startswith(bank_prefix)
           for q in qs}
    keys = {k for q in ids for k in snapshot.questions_in.get(q, ())}
    last = max((h.start for h in history
                if h.key in keys and h.status in HELD and h.start < now), default=None)
    return days_between(last, at) if last else None


def _career(notes: Sequence[Note], snapshot: Snapshot, goals: list[Item], picker: Picker,
            at: datetime, config: Config, sit: Situation) -> CareerSection:
    """`notes`: the boss's career answers on record, advice or not. `at`: the meeting,
    where every day count is judged."""
    advice = sorted((replace(n, created=n.created.astimezone(config.zone)) for n in notes),
                    key=lambda n: n.created, reverse=True)
    said = {n.text for n in advice}
    owed = {i.text: i.id for i in snapshot.items if i.kind == "owe" and i.status == "open"
            and i.fields.get("advised") and not i.fields.get("goal") and i.text in said}
    # Career came up when the boss's answer or advice was recorded in a review: a question
    # printed in a digest, or a goal the user wrote down alone, is not a talk with the boss.
    last = max((n.created for n in advice), default=None)
    days = days_between(last, at) if last else None
    # Never come up is news only once manageup has known the user that long: on day one,
    # learning the boss's goals comes before a flag that career has gone quiet.
    known_since = min([*snapshot.digests_sent[:1], *(i.created for i in snapshot.items)],
                      default=None)
    quiet = days if days is not None else days_between(known_since, at) if known_since else 0
    with_boss = config.career.talk_with == "boss"
    return CareerSection(
        goals=tuple(goals[:3]),
        # Career advice once given is not asked for again; a review question rests a quarter.
        question=picker.first(sit.banks("career"), stage=sit.career_stage,
                              known={n.question_id for n in advice} - bank_ids("review_cycle"))
        if with_boss else None,
        strength=picker.one("strengths"),
        days_since=days,
        stale=quiet >= config.digest.career_stale_days,
        talk_with=config.career.talk_with,
        mentor_name=config.career.mentor_name,
        advice=tuple(advice[:3]),
        owed=owed,
        asks_advice=advice_ids(),
    )


def _relationship(history: Sequence[HistoryEntry], picker: Picker, now: datetime, at: datetime,
                  config: Config, snapshot: Snapshot, sit: Situation) -> Relationship:
    window = config.detect.history_days
    c = counts(history, now, config)
    about = sorted((i for i in snapshot.items if i.kind == "about" and i.status == "open"),
                   key=lambda i: (i.created, i.id), reverse=True)
    known = known_questions(about, person_questions())
    feel, better = ratings(snapshot.notes)
    trend = c.trend if c.expected else \
        f"No 1:1s with your boss in the calendar in the last {window} days."
    return Relationship(
        window_days=window,
        held=c.held,
        expected=c.expected,
        cancelled=c.cancelled,
        moved=c.moved,
        trend=trend,
        declined=c.declined,
        deleted=c.deleted,
        days_since_probe=_days_since_asked(snapshot, history, "probe.", now, at),
        get_to_know=picker.first(sit.banks("get_to_know"), known=known),
        checkin=picker.first(sit.banks("checkin")),
        probe_answers=sum(len([f for f in PROBE_FIELDS if i.fields.get(f)])
                          for i in snapshot.items if i.kind == "goal" and i.status == "open"),
        series=c.series,
        one_offs=c.one_offs,
        who=c.who,
        strip=c.strip,
        about=tuple(about[:SHOW]),
        about_more=max(0, len(about) - SHOW),
        feel=feel,
        feel_trend=direction(feel),
        feel_better=better,
        months=six_months(history, snapshot.notes, now, at),
    )


def _away(occ: Occurrence, calendar: Sequence[Occurrence], config: Config) -> str:
    """The user is out of office when the 1:1 takes place: still prepared for, since only
    they can cancel or move it."""
    away = covering(occ, calendar, config)
    if away is None:
        return ""
    named = f' ("{bidi_closed(away.title.strip())}")' if away.title.strip() else ""
    return f"You are out of office that day{named}: cancel or move it?"


def _caution(occ: Occurrence, config: Config) -> str:
    """Anyone can invite the user and the boss to a "1:1" and move it at will: said so."""
    who = stranger(occ, config)
    return bidi_closed(f"This is an invitation you have not answered, from {who}, who is not "
                       "your boss: check it is the 1:1 you expect before preparing for it.") \
        if who else ""
