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
    from xlcheck.mail.fetch_cli import fetch
    from xlcheck.mail.send_cli import send

    mail.add_command(fetch, "fetch")
    mail.add_command(send, "send")


_register()
