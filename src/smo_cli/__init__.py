"""smo: the command-line toolkit of the solo social media officer."""

__version__ = "0.1.0"
