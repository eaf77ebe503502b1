"""``python -m analyzer``: the same app as the ``coverage`` and ``image-coverage`` commands."""

from analyzer.cli import main

if __name__ == "__main__":
    main()
