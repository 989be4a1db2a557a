"""Form definitions: load one (JSON data) into the frozen model that every other module uses."""

from xlcheck.form.load import FormError, available_forms, load_form
from xlcheck.form.model import Field, Form, Rule, Sheet, Text

__all__ = ["Field", "Form", "FormError", "Rule", "Sheet", "Text", "available_forms", "load_form"]
