-- Issue 11: a reply's signed "feedback" mark, kept so the queue's deadlines need not
-- parse statements (crypto/deadlines.py: only a feedback reply, or closing with an
-- outcome and a reason, meets the feedback deadline), and the audit entry each
-- reviewer's last export reached (the next export carries the entries after it).

ALTER TABLE replies ADD COLUMN feedback INTEGER NOT NULL DEFAULT 0 CHECK (feedback IN (0, 1));

ALTER TABLE export_marks ADD COLUMN audit_seq INTEGER NOT NULL DEFAULT 0 CHECK (audit_seq >= 0);
