"""Root conftest for the demo bugs: its presence makes pytest put this directory on sys.path,
so test modules can import ``python_programs.<name>``."""
