from customer_master.board_mapping.cli import main

raise SystemExit(main())
