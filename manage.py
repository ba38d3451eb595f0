#!/usr/bin/env python
"""Django's command-line utility (same as the ``brief`` console script)."""

from brief.cli import main

if __name__ == "__main__":
    main()
