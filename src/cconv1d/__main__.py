from cconv1d.cli import main

raise SystemExit(main())
