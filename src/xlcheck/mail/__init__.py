"""The season by mail: submissions fetched over IMAP, reply drafts sent over SMTP."""
