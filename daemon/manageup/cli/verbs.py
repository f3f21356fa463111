"""Every verb of `manageup`, in the order `--help` lists them. The parser, the help and
the shell completion are all built from this one table."""

from __future__ import annotations

from manageup.cli.table import NOW, Arg, DueOfLastAdd, Verb, arg
from manageup.kinds import FIELD_CHOICES, FIELD_METAVARS, FIELD_OPTIONS, KINDS, PROBE_FIELDS


def _field_args(suffix: str = "") -> tuple[Arg, ...]:
    return tuple(arg(option, dest=f, metavar=FIELD_METAVARS.get(f, "TEXT"), help=text + suffix,
                     completions=FIELD_CHOICES.get(f, ()))
                 for f, (option, text) in FIELD_OPTIONS.items())


_ID = arg("id", type=int, metavar="ID", completer="items:item_ids",
          help="the item's number, as `manageup list` shows it")

VERBS: tuple[Verb, ...] = (
    Verb("init", "write a working config, asking for what is missing", "setup:init",
         ("manageup init --me alex@example.com --boss sam@example.com "
          "--calendar ~/calendars/work.ics --timezone Europe/Berlin",
          "manageup init --suggest-boss --me alex@example.com --calendar ~/work.ics"),
         description="Write a config (readable only by you) to the config path and create "
                     "the folders it names. On a terminal it asks for what the flags do not "
                     "give; otherwise a missing flag is an error. An existing config is only "
                     "replaced with --force.",
         args=(arg("--me", metavar="EMAIL", help="your e-mail address"),
               arg("--boss", metavar="EMAIL", help="your boss's e-mail address"),
               arg("--calendar", metavar="PATH_OR_URL", help="an .ics file or https:// address"),
               arg("--timezone", metavar="ZONE",
                   help="IANA time zone, e.g. Europe/Berlin (default: this machine's)"),
               arg("--name", metavar="N", help="your first name, for the greeting"),
               arg("--boss-name", metavar="N", help="your boss's name"),
               arg("--suggest-boss", action="store_true",
                   help="list the people you meet most in recurring two-person meetings"),
               arg("--force", action="store_true", help="replace an existing config"))),
    Verb("config", "show the annotated example config, or which config is used",
         "setup:config", ("manageup config --example", "manageup config"),
         description="--example prints the example configuration, every key with its "
                     "default and what it means. Without it, print the path of the config "
                     "file manageup reads.",
         args=(arg("--example", action="store_true",
                   help="print the annotated example configuration"),)),
    Verb("service", "run manageup in the background under systemd", "service:service",
         ("manageup service install", "manageup service install --timer",
          "manageup service install --cron", "manageup service uninstall"),
         description="install: write the systemd user units to ~/.config/systemd/user/ with "
                     "this installation's path, your config and the folders it writes to, "
                     "then reload systemd and enable and start them (--cron: a crontab "
                     "entry instead). uninstall: stop, disable and remove them.",
         args=(arg("action", choices=["install", "uninstall"], help="install or uninstall"),
               arg("--timer", action="store_true",
                   help="a cycle every 10 minutes from a timer instead of a daemon"),
               arg("--cron", action="store_true",
                   help="a cycle every 10 minutes from your crontab, where no user systemd "
                        "runs"),
               arg("--no-start", action="store_true",
                   help="only write (or remove) the files; call no systemctl"))),
    Verb("meetings", "list the upcoming 1:1s found, and why each matched", "calendar:meetings",
         ("manageup meetings", "manageup meetings --explain",
          "manageup meetings --json --now 2026-11-25T17:00"),
         description="List the upcoming 1:1s with your boss in the lookahead window, each "
                     "with the reason it matched. When none is found, say why and whom you "
                     "do meet one to one.",
         args=(NOW, arg("--json", action="store_true",
                        help="print JSON (uid, start, end, title, reason, ...)"),
               arg("--explain", action="store_true",
                   help="also list the near misses (events with your boss or a 1:1 title "
                        "that did not count) and why not"))),
    Verb("preview", "print the next 1:1's digest now", "calendar:preview",
         ("manageup preview", "manageup preview --open",
          "manageup preview --html digest.html"),
         description="Compose the digest for the next 1:1, whatever its send time, and "
                     "print it. Records nothing and sends nothing.",
         args=(NOW, arg("--html", metavar="FILE", help="also write the HTML part to FILE"),
               arg("--open", action="store_true",
                   help="open the HTML part in a browser (a temporary file without --html)"))),
    Verb("run", "run the daemon (or one cycle with --once)", "calendar:run",
         ("manageup run --once --dry-run", "manageup run"),
         description="Read the calendars every poll interval and send each digest when it "
                     "is due. Stops cleanly on SIGTERM or Ctrl-C. `manageup service "
                     "install` runs it under systemd.",
         args=(arg("--once", action="store_true", help="run one cycle and exit"),
               arg("--dry-run", action="store_true",
                   help="print what would be sent; send and record nothing"), NOW),
         daemon=True),
    Verb("add", "record a need, owe, goal, risk, career, win, topic or about", "items:add",
         ('manageup add owe "Send Q3 numbers" --due 2026-12-01',
          'manageup add risk "Launch slips a week" --action "Moved QA earlier"'),
         description="Record an item for your next 1:1s. KIND is one of: "
                     + ", ".join(KINDS) + ".\n  need: what you need from your boss\n"
                     "  owe: what you promised your boss\n  goal: one of your boss's "
                     "goals\n  risk: something to flag before they hear it elsewhere\n"
                     "  career: one of your own career goals\n  win, topic: to share\n"
                     "  about: something you learned about your boss as a person",
         args=(arg("kind", metavar="KIND", help="what kind of item", completions=KINDS),
               arg("text", metavar="TEXT", help="the item, in your words"),
               arg("--due", metavar="DATE",
                   help="YYYY-MM-DD, today, tomorrow, a weekday (friday) or +Nd"),
               NOW, *_field_args())),
    Verb("list", "list recorded items", "items:list_",
         ("manageup list", "manageup list --kind owe --all --json"),
         description="List the open items, newest last; --all adds done and dropped ones.",
         args=(arg("--kind", metavar="KIND", completions=KINDS,
                   help="only this kind: " + ", ".join(KINDS)),
               arg("--all", action="store_true", help="include done and dropped items"),
               arg("--json", action="store_true", help="print JSON"))),
    Verb("done", "mark an item done", "items:done", ("manageup done 3",),
         args=(_ID, NOW)),
    Verb("drop", "drop an item without doing it", "items:drop",
         ("manageup drop 3",), args=(_ID, NOW)),
    Verb("reopen", "open a closed item again", "items:reopen",
         ("manageup reopen 3",), args=(_ID, NOW)),
    Verb("probe", "record the boss's answer about one of their goals", "items:probe",
         ('manageup probe 2 why "The CFO tied headcount to it"',),
         description="Record what you learned about one of your boss's goals. FIELD is "
                     "one of: " + ", ".join(PROBE_FIELDS) + " (or why, blocker, cost, help).",
         args=(arg("goal_id", type=int, metavar="GOAL_ID", completer="items:goal_ids",
                   help="the goal's number"),
               arg("field", metavar="FIELD", help="which question the answer is to"),
               arg("text", metavar="TEXT", help="the answer"))),
    Verb("edit", "change an item's text, due date or fields", "items:edit",
         ('manageup edit 3 --text "Send the Q4 numbers" --due +7d',),
         args=(_ID, arg("--text", help="new text"),
               arg("--due", metavar="DATE",
                   help="new due date: YYYY-MM-DD, today, tomorrow, a weekday or +Nd"),
               arg("--no-due", action="store_true", help="remove the due date"), NOW,
               *_field_args(" (empty clears it)"))),
    Verb("review", "after a 1:1: record what happened", "review:review",
         ("manageup review", 'manageup review --done 3 --answer 5 "Headcount"'),
         description="Walk through what the last 1:1's digest raised: each ask done, open "
                     "or dropped; the boss's answer to the suggested goal question; career "
                     "advice; each risk resolved, still open or escalated; anything new. "
                     "Without a terminal, use the flags.",
         args=(arg("--meeting", default="last", metavar="last|ID",
                   help="which 1:1 (default: the last one that started)"),
               arg("--list", action="store_true", help="list the 1:1s you can review, with ids"),
               arg("--done", type=int, nargs="+", metavar="ID", help="items done"),
               arg("--drop", type=int, nargs="+", metavar="ID", help="items dropped"),
               arg("--answer", nargs=2, action="append", metavar=("GOAL_ID", "TEXT"),
                   help="the boss's answer to that goal's suggested question"),
               arg("--advice", metavar="TEXT",
                   help="the boss's answer to the career question (advice, when that "
                        "question asked for it, becomes a suggested owe)"),
               arg("--flagged", type=int, nargs="+", metavar="ID",
                   help="risks you flagged, still open (records the date; the next digest "
                        "asks for an update)"),
               arg("--resolved", type=int, nargs="+", metavar="ID",
                   help="risks resolved (closes them)"),
               arg("--escalated", type=int, nargs="+", metavar="ID",
                   help="risks taken higher (they stay open; the next digest asks what came "
                        "of it)"),
               arg("--raised", type=int, nargs="+", metavar="ID",
                   help="wins and topics you raised (closes them)"),
               arg("--about", metavar="TEXT",
                   help="what you learned from the get-to-know question"),
               arg("--checkin", metavar="TEXT", help="their answer to the check-in question"),
               arg("--rating", type=int, metavar="1-5",
                   help="how the relationship feels, 1 (poor) to 5 (great); private"),
               arg("--better", metavar="TEXT",
                   help="with --rating: what would make the relationship better"),
               arg("--add", nargs=2, action="append", metavar=("KIND", "TEXT"),
                   help="a new item"),
               arg("--due", action=DueOfLastAdd, metavar="DATE",
                   help="the due date of the --add before it: YYYY-MM-DD, today, tomorrow, "
                        "a weekday (friday) or +Nd"), NOW)),
    Verb("export", "write the whole store as JSON or Markdown", "items:export",
         ("manageup export --format json -o manageup.json",
          "manageup export --format markdown"),
         description="Write every item, note, digest and 1:1 on record. JSON is lossless "
                     "and `manageup import` reads it back.",
         args=(arg("--format", choices=["json", "markdown"], default="json",
                   help="json (lossless, for import) or markdown (to read)"),
               arg("--output", "-o", metavar="FILE", help="write to FILE instead of stdout"))),
    Verb("import", "load an export into the store", "items:import_",
         ("manageup import manageup.json",),
         description="Load a JSON export. Everything is checked before anything is written; "
                     "an existing item is never overwritten by a different one.",
         args=(arg("file", metavar="FILE", help="a file written by `manageup export`"),)),
    Verb("doctor", "check config, calendars, store, mail and secrets", "calendar:doctor",
         ("manageup doctor",),
         description="Check each part and say what to fix. Changes nothing and sends no "
                     "mail; exits 1 when any check fails."),
    Verb("auth", "sign in to Google (calendar, Gmail) or Microsoft", "account:auth",
         ("manageup auth google --client-secret ~/Downloads/client_secret.json",
          "manageup auth microsoft"),
         description="Run Google's sign-in for installed apps. Without a browser on this "
                     "machine, use --no-browser, open the printed address elsewhere and "
                     "forward the port: ssh -L 8765:localhost:8765 HOST. Microsoft 365 "
                     "prints a code to enter at microsoft.com/devicelogin on any device.",
         args=(arg("provider", choices=["google", "microsoft"], help="whose sign-in"),
               arg("--client-secret", metavar="FILE",
                   help="your OAuth client file (default: google.client_secret)"),
               arg("--port", type=int, help="local port to listen on (default 8765)"),
               arg("--no-browser", action="store_true", help="print the address instead"))),
    Verb("secret", "store a password in the keyring", "account:secret",
         ("manageup secret set smtp", "manageup secret set caldav"),
         description="Store the SMTP or CalDAV password in your keyring; it is read from "
                     "standard input when that is not a terminal.",
         args=(arg("action", choices=["set"], help="what to do"),
               arg("name", choices=["smtp", "caldav"], help="which secret"))),
    Verb("completion", "print tab completion for bash, zsh or fish", "account:completion",
         ('eval "$(manageup completion bash)"    # in ~/.bashrc',
          "manageup completion fish > ~/.config/fish/completions/manageup.fish"),
         description="Print the shell code that completes manageup's verbs and options. "
                     "Load it from your shell's start-up file.",
         args=(arg("shell", choices=["bash", "zsh", "fish"], help="your shell"),)),
)
