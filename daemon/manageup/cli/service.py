"""Handler for `service install|uninstall`; manageup.units writes the units and
manageup.crontab the cron entry."""

from __future__ import annotations

from manageup.cli.context import Context
from manageup.errors import ManageupError
from manageup.textutil import for_terminal

WAYS_FORWARD = """\
No user systemd answers here (a container, su, or an SSH session without lingering), so \
nothing was started. Either:
  loginctl enable-linger $USER       then log in again and run `manageup service install` \
again
  manageup service install --cron    a cycle every 10 minutes from your crontab instead
  manageup service install --no-start   keep only the files, and start them yourself"""


def service(ctx: Context) -> int:
    from manageup import units

    args = ctx.args
    folder = units.unit_dir()
    if args.action == "uninstall":
        removed = units.uninstall(folder, stop=not args.no_start)
        if not removed:
            print(f"No manageup units in {folder} and no crontab entry; nothing to remove.")
        for p in removed:
            print(f"Removed {'the manageup entry from your crontab' if p.name == 'crontab' else p}")
        return 0
    if args.cron and args.timer:
        raise ManageupError("--cron and --timer are two ways of the same thing; pick one")
    done = units.install(ctx.config, folder, timer=args.timer, start=not args.no_start,
                         cron=args.cron)
    for p in done.written:
        print(f"Wrote {p}")
    kind = "cron" if args.cron else "timer" if args.timer else "daemon"
    for p in done.removed:
        print(for_terminal(f"Removed {p} (one kind at a time: {kind} now)"))
    if done.cron:
        print(for_terminal(f"Added to your crontab (crontab -l shows it):\n  {done.cron}\n"
                   "cron mails you what a cycle warns about, if mail is set up for cron."))
        return 0
    if done.failure is not None:
        said = str(done.failure)
        if isinstance(done.failure, units.NoUserManager):
            raise ManageupError(f"{said}.\n{WAYS_FORWARD}")
        raise ManageupError(f"{said}\nThe unit files above are written; nothing was started.")
    if done.started:
        print(f"Started {done.started}. Its log: journalctl --user -u manageup -f\n"
              "To keep it running while you are logged out: loginctl enable-linger $USER")
    else:
        print("Not started (--no-start). To start it:\n  systemctl --user daemon-reload && "
              f"systemctl --user enable --now {done.written[-1].name}")
    return 0
