"""CLI sub-commands; importing a module registers its commands on `repair.cli_app.app`."""
