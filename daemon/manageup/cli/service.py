"""Handler for `service install|uninstall`; manageup.units writes the units."""

from __future__ import annotations

from manageup.cli.context import Context


def service(ctx: Context) -> int:
    from manageup import units

    args = ctx.args
    folder = units.unit_dir()
    if args.action == "uninstall":
        removed = units.uninstall(folder, stop=not args.no_start)
        if not removed:
            print(f"No manageup units in {folder}; nothing to remove.")
        for p in removed:
            print(f"Removed {p}")
        return 0
    done = units.install(ctx.config, folder, timer=args.timer, start=not args.no_start)
    for p in done.written:
        print(f"Wrote {p}")
    for p in done.removed:
        print(f"Removed {p} (one kind at a time: {'timer' if args.timer else 'daemon'} now)")
    if done.started:
        print(f"Started {done.started}. Its log: journalctl --user -u manageup -f\n"
              "To keep it running while you are logged out: loginctl enable-linger $USER")
    else:
        print("Not started (--no-start). To start it:\n  systemctl --user daemon-reload && "
              f"systemctl --user enable --now {done.written[-1].name}")
    return 0
