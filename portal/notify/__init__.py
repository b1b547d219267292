"""E-mail notifications (issue #18): staff addresses, digests, reminders, escalations.

Messages go only to staff accounts with a confirmed address, only through the
organisation's relay, only at the digest times, and say only "something is waiting"
(counts and due days). Nothing is ever sent to a reporter.

- settings.py   the NOTIFY_* settings, checked at start-up
- addresses.py  setting and confirming an account's address
- digest.py     which digest time is due and what each digest says
- delivery.py   sending, recorded before and after, retried until it goes
- relay.py      the SMTP connection
- messages.py   the words (templates/notify/*.txt)
- views.py      the address pages
- setup.py      init_app (settings check, pages) and one `notify send` run;
                the commands are in portal/cli/notify.py
"""
