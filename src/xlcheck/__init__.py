"""xlcheck: locked Excel templates, validation and official outputs for statutory reports."""

__version__ = "0.1.0"
