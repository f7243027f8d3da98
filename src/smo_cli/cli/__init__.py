"""The command line: Typer apps, one module per command group, loaded only when invoked."""
