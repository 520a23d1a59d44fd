"""The base of every error hive raises on purpose.

Each module keeps its own exception class (``SwarmError``, ``ConfigError``, ...), and each
derives from ``HiveError``, next to the builtin base that callers catch (``ValueError``,
``FileNotFoundError``...). A ``HiveError``'s message is written for the user, so the front
ends translate it in one place each, without a traceback: the API answers an OpenAI-style
error body (``api/app.py``), the command line prints one ``hive: ...`` line (``cli.main``),
the app shows a notification.
"""

from __future__ import annotations


class HiveError(Exception):
    """An error hive reports to the user as its message alone."""
