"""Live data: refreshed catalogues in the user cache, and probes of real mirrors.

``cache`` (where and how things are stored), ``listcheck`` (is a download a list?),
``refresh`` (``update_catalog``, ``cached_loader``, ``list_catalogs``) and ``probe``
(``Prober``). Only ``refresh`` and ``probe`` import ``requests``, inside their functions, so
importing this package costs nothing on the CLI start-up path.
"""

from __future__ import annotations
