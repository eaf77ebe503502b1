"""From verdict to fix: what to ask a mirror to add, the configuration to write, the image
references to use instead, and the one-line advice the reports show.

- ``lines``: whitelist lines (allows.txt patterns) as values: which covers which;
- ``advice``: a "how to fix" line for one image of a report;
- ``request`` (+ ``request_formats``, ``patch``, ``issue``): ``coverage request``;
- ``init`` (+ ``writers``): ``coverage mirrors init``;
- ``rewrite`` (+ ``rewrite_formats``, ``helm_values``, ``mirror_names``): ``coverage rewrite``.

This layer sits above ``report`` (it reads reports, configurations and catalogues); the CLI
only wires it.
"""
