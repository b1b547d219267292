-- Reviewer workspace: accounts, their sessions, export marks, the change counter
-- and the hash-chained audit trail.
--
-- Times: accounts and sessions keep exact Unix seconds (lockouts and idle expiry
-- need them); they are about staff, never about reporters. The audit trail keeps
-- days only.

-- People who sign in to the workspace. A reviewer account is tied to one reviewer
-- key; an administrator account has none and can never read a report.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    username TEXT UNIQUE NOT NULL
        CHECK (length(username) BETWEEN 1 AND 64 AND username NOT GLOB '*[^a-z0-9._-]*'),
    role TEXT NOT NULL CHECK (role IN ('reviewer', 'admin')),
    reviewer_id INTEGER UNIQUE REFERENCES reviewers (id),
    password_hash TEXT NOT NULL,         -- Argon2id, PHC string
    must_change_password INTEGER NOT NULL DEFAULT 1 CHECK (must_change_password IN (0, 1)),
    totp_secret TEXT,                    -- base32; NULL until enrolment starts
    totp_enrolled INTEGER NOT NULL DEFAULT 0 CHECK (totp_enrolled IN (0, 1)),
    totp_last_step INTEGER NOT NULL DEFAULT 0,  -- last accepted 30 s step: no code twice
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0,    -- Unix seconds
    created_day TEXT NOT NULL
        CHECK (created_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    CHECK ((role = 'reviewer') = (reviewer_id IS NOT NULL))
);

-- Server-side sessions. The cookie holds a random token; only its hash is stored,
-- so a copy of the database cannot be used to sign in.
CREATE TABLE account_sessions (
    token_hash BLOB PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- 'second_factor': password accepted, code still needed; 'enrol': password
    -- accepted, authenticator not yet set up; 'full': signed in.
    stage TEXT NOT NULL CHECK (stage IN ('second_factor', 'enrol', 'full')),
    last_seen INTEGER NOT NULL           -- Unix seconds, for idle expiry
);
CREATE INDEX account_sessions_by_account ON account_sessions (account_id);

-- Per reviewer: the highest change counter their last incremental export covered.
CREATE TABLE export_marks (
    reviewer_id INTEGER PRIMARY KEY REFERENCES reviewers (id),
    until_counter INTEGER NOT NULL CHECK (until_counter >= 0)
);

-- One global counter. Every change to a case or anything under it takes the next
-- value and writes it into cases.change_counter, so "changed since my last export"
-- is one comparison. Triggers keep it, whoever writes the rows. The counter never
-- falls below any case's counter (code that bumps a case with MAX()+1 itself stays
-- consistent with it) and never goes back when retention deletes the newest case.
CREATE TABLE change_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO change_counter (id, value) SELECT 1, coalesce(max(change_counter), 0) FROM cases;
CREATE INDEX cases_by_change_counter ON cases (change_counter);

CREATE TRIGGER cases_counter_on_insert AFTER INSERT ON cases
BEGIN
    UPDATE change_counter SET value = max(value, (SELECT coalesce(max(change_counter), 0) FROM cases)) + 1 WHERE id = 1;
    UPDATE cases SET change_counter = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE TRIGGER cases_counter_on_status AFTER UPDATE OF status, outcome ON cases
BEGIN
    UPDATE change_counter SET value = max(value, (SELECT coalesce(max(change_counter), 0) FROM cases)) + 1 WHERE id = 1;
    UPDATE cases SET change_counter = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE TRIGGER submissions_counter AFTER INSERT ON submissions
BEGIN
    UPDATE change_counter SET value = max(value, (SELECT coalesce(max(change_counter), 0) FROM cases)) + 1 WHERE id = 1;
    UPDATE cases SET change_counter = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.case_id;
END;

-- Parts may be stored after their submission row: an export must not miss them.
CREATE TRIGGER parts_counter AFTER INSERT ON parts
BEGIN
    UPDATE change_counter SET value = max(value, (SELECT coalesce(max(change_counter), 0) FROM cases)) + 1 WHERE id = 1;
    UPDATE cases SET change_counter = (SELECT value FROM change_counter WHERE id = 1)
        WHERE id = (SELECT case_id FROM submissions WHERE id = NEW.submission_id);
END;

CREATE TRIGGER replies_counter AFTER INSERT ON replies
BEGIN
    UPDATE change_counter SET value = max(value, (SELECT coalesce(max(change_counter), 0) FROM cases)) + 1 WHERE id = 1;
    UPDATE cases SET change_counter = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.case_id;
END;

CREATE TRIGGER status_events_counter AFTER INSERT ON status_events
BEGIN
    UPDATE change_counter SET value = max(value, (SELECT coalesce(max(change_counter), 0) FROM cases)) + 1 WHERE id = 1;
    UPDATE cases SET change_counter = (SELECT value FROM change_counter WHERE id = 1) WHERE id = NEW.case_id;
END;

-- The audit trail: who did what, to the day. entry_hash chains every entry to the
-- one before (portal/audit.py); `flask --app wsgi audit verify` walks the chain and
-- instance/audit-head anchors its end. case_id has no foreign key: the trail
-- outlives the cases retention destroys.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    day TEXT NOT NULL
        CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id TEXT,
    details TEXT NOT NULL,               -- canonical JSON; never report content
    entry_hash BLOB NOT NULL CHECK (length(entry_hash) = 32)
);
CREATE INDEX audit_log_by_case ON audit_log (case_id);

-- Append-only for the application. Someone with the database key can still drop
-- these; the hash chain and the head anchor are what catch that.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
