"""The Candour Desk: the reviewer's offline application (Textual), issue 13.

    vault.py      the Desk's folder: imported exports as they came, state encrypted
    trust.py      the trust checks the Desk applies (to be pointed at the casebook)
    session.py    an unlocked session: cases decrypted into memory only, search, replies
    tempcopies.py RAM-backed temporary copies of attachments, removed on lock
    app.py, screens.py   the Textual application
    command.py    the `desk` subcommand (Textual imported only when the Desk starts)

Everything but app.py/screens.py is PyNaCl and the standard library.
"""
