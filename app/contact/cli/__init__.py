"""``flask messages``: the owner reads, exports and tidies the contact messages.

Each module holds one kind of work; this group gathers their commands:
reading.py (list, show), tidying.py (mark, delete, purge, forget), copies.py
(export, backup), notifying.py (notifications, notify); common.py holds what
they share.
"""

from flask.cli import AppGroup

from . import copies, notifying, reading, tidying

messages_cli = AppGroup("messages", help="Read, export and tidy the messages sent through the contact form.")

for command in (
    reading.list_messages, reading.show,
    tidying.mark, tidying.delete, tidying.purge, tidying.forget,
    copies.export, copies.backup,
    notifying.notifications, notifying.notify,
):
    messages_cli.add_command(command)
