from manageup.cli import main

raise SystemExit(main())
