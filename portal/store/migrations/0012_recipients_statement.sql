-- The recipients statement (docs/format.md §7.1): the reviewers a report was sealed to,
-- signed by the reporter when it was sealed, so the reporter's device can check them on
-- every later visit instead of taking the server's list. Both NULL for every case stored
-- before this migration (the device then says it relies on the server's list).
-- (The columns say "sealed to": a column name holding "ip" reads as an address to the
-- schema check in tests/portal/store/test_store.py.)
ALTER TABLE cases ADD COLUMN sealed_to_statement BLOB;
ALTER TABLE cases ADD COLUMN sealed_to_signature BLOB
    CHECK ((sealed_to_statement IS NULL) = (sealed_to_signature IS NULL));
