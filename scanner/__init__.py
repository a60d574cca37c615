"""fromscratch: was this model trained from scratch, and does it honour the licences of what it reused?"""

__version__ = "0.1.0"
