"""The command line: `python -m bot run|shell|score|workshop|purge` and the process launcher."""
