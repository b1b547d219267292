-- Workspace accounts, issue 14: an absolute lifetime for staff sessions, notices of
-- resets shown to the account holder, and resets waiting for a second admin.

-- When the session was started (Unix seconds), for the absolute lifetime. Sessions
-- from before this migration count as started at 0: they end at once.
ALTER TABLE account_sessions ADD COLUMN started INTEGER NOT NULL DEFAULT 0;

-- The newest audit entry about this account that its holder has been shown at a
-- sign-in ("your second factor was reset by …"). Existing accounts start at the
-- current end of the trail: nothing old is announced as new.
ALTER TABLE accounts ADD COLUMN notices_seen_seq INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET notices_seen_seq = (SELECT coalesce(max(seq), 0) FROM audit_log);

-- A reset one administrator asked for, waiting for another to approve it (where an
-- instance has two or more administrators). One pending reset per account and kind.
CREATE TABLE pending_resets (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('password', 'second_factor')),
    requested_by INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    requested_day TEXT NOT NULL
        CHECK (requested_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    UNIQUE (account_id, kind)
);
