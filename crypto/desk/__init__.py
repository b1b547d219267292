"""The Candour Desk: the reviewer's offline application (Textual), issue 13.

    vault.py      the Desk's folder: imported exports as they came, its state (drafts, outbox) encrypted
    trust.py      the casebook's verdicts worded for the screen; the pins themselves are in the
                  casebook beside the key (crypto/casebook.py), shared with `python3 -m crypto`
    model.py      what the Desk holds about a case (in memory only) and its deadlines
    reading.py    one case of an export read and verified into memory
    session.py    an unlocked session: casebook, import, queue, search, replies, outbox, lock
    workflow.py   the organisation's workflow (crypto.workflow) as replies are checked
    tempcopies.py RAM-backed temporary copies of attachments, removed on lock
    app.py, screens.py, case_screens.py, picker.py, queue_list.py   the Textual application
    command.py    the `desk` subcommand (Textual imported only when the Desk starts)

Everything but the Textual modules is PyNaCl and the standard library.
"""
