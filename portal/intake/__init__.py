"""The reporter's intake: one form reader (form.py, over multipart.py) shared by both
paths, two sealers plugged into it (server_sealer.py: the server seals a no-JavaScript
submission as it arrives; browser_sealed.py: envelopes the browser sealed, checked as
they arrive), one recipient rule (recipients.py), one catalogue of refusals
(refusals.py), and one way to keep what arrived (commit.py: blobs, then one
group-committed transaction). submit.py puts them together for the pages.

The pages (portal/reporter/) only call submit.py and render what comes back.
"""
