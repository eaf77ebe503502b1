"""Where the default catalogue comes from, and its name in the cache (imported by the CLI
at start-up, so this module imports nothing)."""

from __future__ import annotations

#: DaoCloud's access whitelist on its public repository's main branch
DEFAULT_ALLOWS_URL = (
    "https://raw.githubusercontent.com/DaoCloud/public-image-mirror/main/allows.txt"
)
#: the cache name of the default list (``coverage catalog update`` with no options)
DEFAULT_NAME = "daocloud-allows"
