"""Candour's offline cryptography: the sealed-envelope format and the reviewer kit.

Runs on the reviewers' air-gapped machines as well as inside the portal; depends on
PyNaCl and the standard library only. The format is specified in docs/format.md.
"""

FORMAT_VERSION = 1
