"""Single source of the harness version (read by hatch and by reports)."""

__version__ = "0.1.0"
