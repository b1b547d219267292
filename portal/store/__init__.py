"""Persistent state: the SQLCipher database (db), ciphertext blobs (blobs) and the
queries each part of the portal needs, one module per table group."""
