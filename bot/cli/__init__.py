"""The command line (`python -m bot --help`) and the process launcher. `main.py` is the entry point that loads the
settings once and passes them to every command."""
