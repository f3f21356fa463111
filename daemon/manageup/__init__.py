"""manageup: prep digests for your 1:1s with your boss."""

__version__ = "0.1.0"
