"""The exit statuses of the ``tapegrad`` command, and the one way to report an error.

Every subcommand returns one of these numbers from its run function, and
:func:`tapegrad.cli.main` returns it as the process's exit status:

- ``EXIT_OK`` (0): the command did what was asked.
- ``EXIT_FAILED`` (1): the input was fine but a requested file could not be
  made (for example a picture whose renderer is missing).
- ``EXIT_USAGE`` (2): bad input; one line ``tapegrad: error: ...`` on stderr
  and nothing written.  argparse uses the same status for its own errors.
- ``EXIT_INTERRUPTED`` (130): stopped by Ctrl-C, as shells report a process
  ended by SIGINT (128 + 2).

This module imports nothing heavy, so any command can use it at start-up.
"""

from __future__ import annotations

import sys

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "error", "interrupted"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def error(message: str) -> int:
    """Print ``tapegrad: error: message`` on stderr; return ``EXIT_USAGE``."""
    print(f"tapegrad: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def interrupted(message: str) -> int:
    """Print ``message`` on stderr below the current output line; return ``EXIT_INTERRUPTED``."""
    # The leading newline ends the line that ^C (or a progress bar) left open.
    print(f"\n{message}", file=sys.stderr)
    return EXIT_INTERRUPTED
