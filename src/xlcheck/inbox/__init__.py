"""Gather submitted workbooks from a county office's inbox: folders, zip archives, .eml and mbox.

`gather` yields a `Submission` for each candidate file and a `Skipped` (stable reason code) for
everything else; it never modifies its inputs and one bad input never stops it.
"""

from .models import InboxLimits, Item, Skipped, Submission
from .walk import gather

__all__ = ["InboxLimits", "Item", "Skipped", "Submission", "gather"]
