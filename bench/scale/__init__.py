"""National-scale raw archives for the end-to-end benchmark (see `bench/generate.py`)."""
