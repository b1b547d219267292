-- Initial schema.
--
-- Rules every table keeps: no column holds an IP address, a user agent or a time
-- finer than a day. Days are ISO 'YYYY-MM-DD' text, and the CHECKs below refuse
-- anything else, so a careless caller cannot store a timestamp by accident.
-- Report content only ever appears here sealed (ciphertext) or as blob names.
--
-- Migrations run inside a transaction opened by portal.store.db.migrate(): no
-- BEGIN/COMMIT in these files.

CREATE TABLE instance_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- People who receive reports. Never deleted (cases, replies and the audit trail
-- point at them); `reviewer remove` clears `active`.
CREATE TABLE reviewers (
    id INTEGER PRIMARY KEY,
    key_id TEXT UNIQUE NOT NULL
        CHECK (length(key_id) = 16 AND key_id NOT GLOB '*[^0-9a-f]*'),
    identity TEXT NOT NULL,              -- one-line public identity, as pasted
    fingerprint TEXT NOT NULL,           -- words people read aloud, from the identity
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    required INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    added_day TEXT NOT NULL
        CHECK (added_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
);

-- One case per report; its id is the report's submission id.
CREATE TABLE cases (
    id TEXT PRIMARY KEY
        CHECK (length(id) = 32 AND id NOT GLOB '*[^0-9a-f]*'),
    created_day TEXT NOT NULL
        CHECK (created_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    status TEXT NOT NULL,
    outcome TEXT,
    sealed_on TEXT NOT NULL CHECK (sealed_on IN ('browser', 'server')),
    login_hash BLOB UNIQUE NOT NULL,     -- keyed hash of the codename's login token
    reporter_reply_key BLOB NOT NULL,    -- X25519 public key replies are sealed to
    reporter_sign_key BLOB NOT NULL,     -- Ed25519 public key of the reporter
    acknowledge_by TEXT
        CHECK (acknowledge_by GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    feedback_by TEXT
        CHECK (feedback_by GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    -- Bumped on every change to the case or anything under it, so an export can
    -- ask for "everything changed since counter N".
    change_counter INTEGER NOT NULL DEFAULT 0
);

-- Which reviewers a case was sealed to.
CREATE TABLE case_reviewers (
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    reviewer_id INTEGER NOT NULL REFERENCES reviewers (id),
    PRIMARY KEY (case_id, reviewer_id)
);
CREATE INDEX case_reviewers_by_reviewer ON case_reviewers (reviewer_id);

-- The report itself and every follow-up the reporter sends.
CREATE TABLE submissions (
    id TEXT PRIMARY KEY
        CHECK (length(id) = 32 AND id NOT GLOB '*[^0-9a-f]*'),
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('report', 'followup')),
    day TEXT NOT NULL
        CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    sealed_on TEXT NOT NULL CHECK (sealed_on IN ('browser', 'server')),
    part_count INTEGER NOT NULL CHECK (part_count >= 1)
);
CREATE INDEX submissions_by_case ON submissions (case_id);

-- One sealed envelope per part; the ciphertext is in instance/blobs/.
CREATE TABLE parts (
    submission_id TEXT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    part_index INTEGER NOT NULL CHECK (part_index >= 0),
    blob TEXT NOT NULL
        CHECK (length(blob) = 32 AND blob NOT GLOB '*[^0-9a-f]*'),
    sealed_size INTEGER NOT NULL CHECK (sealed_size >= 0),
    header_hash BLOB NOT NULL,
    PRIMARY KEY (submission_id, part_index)
);

-- Every status change, with who made it and why; signed when a reviewer made it.
CREATE TABLE status_events (
    id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    day TEXT NOT NULL
        CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    status TEXT NOT NULL,
    outcome TEXT,
    reason TEXT,
    reviewer_id INTEGER REFERENCES reviewers (id),
    statement BLOB,
    signature BLOB
);
CREATE INDEX status_events_by_case ON status_events (case_id);

-- Signed replies from reviewers: a copy sealed to the reporter and one sealed to the
-- case's reviewers (so the history stays readable offline).
CREATE TABLE replies (
    id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    reviewer_id INTEGER NOT NULL REFERENCES reviewers (id),
    seq INTEGER NOT NULL CHECK (seq >= 0),
    day TEXT NOT NULL
        CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    statement BLOB,                      -- never the reply's text: it is sealed
    signature BLOB,
    for_reporter BLOB NOT NULL,          -- the reply sealed to the reporter
    reviewers_blob TEXT
        CHECK (reviewers_blob IS NULL
               OR (length(reviewers_blob) = 32
                   AND reviewers_blob NOT GLOB '*[^0-9a-f]*')),
    UNIQUE (case_id, reviewer_id, seq)
);
