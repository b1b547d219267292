-- E-mail notifications (issue #18): staff addresses, the queue of changes waiting
-- for the next digest, digests planned and their deliveries, reminders and
-- escalations already made.
--
-- About reporters this keeps nothing finer than a day. A digest goes out at a
-- fixed hour, so anything tying a submission to a digest would date it to the
-- half-day: `notify_changes` holds only the submissions not yet announced (each
-- digest deletes the rows it counted), a delivery row lives only until its message
-- is sent (the audit trail then records the day and the item count), and
-- `notify_runs` says which digest times were planned, not what they held.
-- Confirmations may keep Unix seconds: they are about staff.

-- A staff account's confirmed address. Written only when the link sent to it was
-- followed; until then the address lives in email_confirmations.
CREATE TABLE account_emails (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    confirmed_day TEXT NOT NULL
        CHECK (confirmed_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
);

-- One pending confirmation per account (a new request replaces the old one, whose
-- link then stops working). Only the hash of the link's token is stored.
CREATE TABLE email_confirmations (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash BLOB UNIQUE NOT NULL CHECK (length(token_hash) = 32),
    email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    requested_by TEXT NOT NULL,          -- audit actor label of who asked
    expires INTEGER NOT NULL             -- Unix seconds
);

-- Submissions not yet counted in a digest. Filled by the trigger below whoever
-- stores the submission; emptied by the planning transaction of each digest.
CREATE TABLE notify_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id TEXT UNIQUE NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('report', 'followup'))
);

CREATE TRIGGER submissions_notify AFTER INSERT ON submissions
BEGIN
    INSERT OR IGNORE INTO notify_changes (submission_id, case_id, kind) VALUES (NEW.id, NEW.case_id, NEW.kind);
END;

-- One row per digest time that was planned ('YYYY-MM-DDTHH:MM' in the
-- organisation's time zone): a slot is planned at most once. Rows older than a
-- few days are pruned when a new slot is planned (an old slot is never due again).
CREATE TABLE notify_runs (
    slot TEXT PRIMARY KEY
        CHECK (slot GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]'),
    planned_day TEXT NOT NULL
        CHECK (planned_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
);

-- One message per account per slot, until it is sent (then the row is deleted with
-- the audit entry, in one transaction). state: 'pending' (not yet handed to the
-- relay, or the relay refused it) or 'sending' (handed over, success not yet
-- recorded: a crash here resends it with the same Message-ID). The text holds
-- counts and days only.
CREATE TABLE notify_deliveries (
    id INTEGER PRIMARY KEY,
    slot TEXT NOT NULL REFERENCES notify_runs (slot),
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    message_id TEXT UNIQUE NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    items INTEGER NOT NULL CHECK (items >= 1),
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error TEXT,
    UNIQUE (slot, account_id)
);

-- Reminders already planned, per case and deadline: 'before' (NOTIFY_REMIND_DAYS_BEFORE
-- days ahead) and 'due' (on the day), so each goes into one digest only.
CREATE TABLE notify_reminders (
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    deadline TEXT NOT NULL CHECK (deadline IN ('acknowledge', 'feedback')),
    stage TEXT NOT NULL CHECK (stage IN ('before', 'due')),
    due_day TEXT NOT NULL CHECK (due_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    PRIMARY KEY (case_id, deadline, stage, due_day)
);

-- Cases escalated to the administrators, per deadline (once each).
CREATE TABLE notify_escalations (
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    deadline TEXT NOT NULL CHECK (deadline IN ('acknowledge', 'feedback')),
    due_day TEXT NOT NULL CHECK (due_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    PRIMARY KEY (case_id, deadline, due_day)
);
