"""mvpgen: generate ready-to-run MVP backends (FastAPI, Go, or both) from one resource spec."""

__version__ = "0.1.0"
