"""Persistent state: the SQLCipher database (db), ciphertext blobs (blobs) and every
SQL statement the portal runs, one module per table group.

The transaction rule, for every function in this package: a store function runs in
the caller's transaction (or in autocommit, one statement at a time, when the
caller opened none). It never BEGINs or COMMITs itself, unless its name says so
(`*_group_commit`, `transaction`, `migrate`) or its docstring says it takes its own
snapshot. Callers group a change with its audit entry in one
`portal.audit.audited_transaction`.
"""
