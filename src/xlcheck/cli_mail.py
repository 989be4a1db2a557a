"""`xlcheck mail fetch|send`: the mailbox ends of the season (click only here).

Passwords never come from the command line: an environment variable or the prompt.
"""

from __future__ import annotations

import click


@click.group()
def mail() -> None:
    """收取报送邮件、发送回复 / fetch submissions over IMAP, send replies over SMTP."""


def _register() -> None:
    """Each subcommand lives in its own module (mail/fetch_cli.py, mail/send_cli.py)."""
    import importlib

    for module, name in (("xlcheck.mail.fetch_cli", "fetch"), ("xlcheck.mail.send_cli", "send")):
        try:
            command = getattr(importlib.import_module(module), name)
        except ModuleNotFoundError:  # not built yet
            continue
        mail.add_command(command, name)


_register()
