"""One module per sub-command; each exposes ``configure(parser)`` and ``run(args) -> int``."""
