-- Issue 15 (goal 6): each case's deadline state kept on its row, so the reviewer
-- queue reads one index in queue order instead of aggregating every visible case's
-- replies and status events and sorting all of them to keep one page.
--
-- The rule is crypto/deadlines.py's: the acknowledge deadline is met by any reply or
-- by any status change a reviewer made; the feedback deadline only by a reply whose
-- signed statement marks it as feedback (replies.feedback), or by a reviewer's status
-- change to the final status with an outcome and a non-empty reason. An event the
-- server recorded itself (reviewer_id NULL: "the report arrived") meets neither. A
-- deadline met late is met. "Non-empty" is after trimming ASCII white space (as
-- Python's str.strip() in crypto/ does for ASCII; other Unicode spaces count as text here).
--
-- Why triggers (and not the store functions that insert replies and status events):
-- every writer keeps the state right, whoever it is (signed replies, online status
-- changes, scripts and tests writing rows, a deleted reply). The one thing the rule
-- needs from the configuration is the final status (CLOSED_STATUS, configurable), so
-- it is stored here: instance_meta 'deadline_final_status', set to the default by this
-- migration and rewritten by the app at start-up when its configuration names another
-- (portal.store.queue.use_final_status); rewriting it recomputes every case.
--
-- The rule is written once, in the view case_deadline_facts; the triggers and the
-- back-fill copy from it.
--
-- cases.acknowledged / cases.fed_back: whether each deadline has been met.
-- cases.next_deadline: the earliest deadline still open, '9999-12-31' when none is
-- (both met, or a case stored without deadlines). A generated column, so it follows
-- acknowledge_by and feedback_by whoever sets them. "Overdue first, then the nearest
-- open deadline, then newest" is exactly ORDER BY next_deadline, created_day DESC,
-- id DESC: a case is overdue when, and only when, its earliest open deadline is before
-- today, so every overdue case sorts before every other one.
--
-- A reviewer sees only the cases sealed to them, so case_reviewers carries a copy of
-- each case's next_deadline and created_day (kept by triggers) and an index in queue
-- order per reviewer: a reviewer's page, total and overdue count are ranges of that
-- index, however many cases other reviewers have and however many are overdue.

INSERT INTO instance_meta (name, value) VALUES ('deadline_final_status', 'closed')
    ON CONFLICT (name) DO NOTHING;

CREATE VIEW case_deadline_facts AS
SELECT
    c.id AS case_id,
    (EXISTS (SELECT 1 FROM replies r WHERE r.case_id = c.id)
     OR EXISTS (SELECT 1 FROM status_events e WHERE e.case_id = c.id AND e.reviewer_id IS NOT NULL))
        AS acknowledged,
    (EXISTS (SELECT 1 FROM replies r WHERE r.case_id = c.id AND r.feedback = 1)
     OR EXISTS (
        SELECT 1 FROM status_events e
        WHERE e.case_id = c.id AND e.reviewer_id IS NOT NULL
          AND e.status = coalesce((SELECT value FROM instance_meta WHERE name = 'deadline_final_status'), 'closed')
          AND coalesce(e.outcome, '') <> ''
          AND length(trim(coalesce(e.reason, ''), char(32, 9, 10, 11, 12, 13))) > 0))
        AS fed_back
FROM cases c;

ALTER TABLE cases ADD COLUMN acknowledged INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1));
ALTER TABLE cases ADD COLUMN fed_back INTEGER NOT NULL DEFAULT 0 CHECK (fed_back IN (0, 1));
ALTER TABLE cases ADD COLUMN next_deadline TEXT GENERATED ALWAYS AS (
    min(
        CASE WHEN acknowledge_by IS NOT NULL AND acknowledged = 0 THEN acknowledge_by ELSE '9999-12-31' END,
        CASE WHEN feedback_by IS NOT NULL AND fed_back = 0 THEN feedback_by ELSE '9999-12-31' END
    )
) VIRTUAL;

-- Every case stored before this migration.
UPDATE cases SET (acknowledged, fed_back) = (
    SELECT f.acknowledged, f.fed_back FROM case_deadline_facts f WHERE f.case_id = cases.id
);

CREATE INDEX cases_queue_order ON cases (next_deadline, created_day DESC, id DESC);

ALTER TABLE case_reviewers ADD COLUMN next_deadline TEXT;
ALTER TABLE case_reviewers ADD COLUMN created_day TEXT;
UPDATE case_reviewers SET (next_deadline, created_day) = (
    SELECT c.next_deadline, c.created_day FROM cases c WHERE c.id = case_reviewers.case_id
);
-- Its first column serves every lookup by reviewer the old index served.
DROP INDEX case_reviewers_by_reviewer;
CREATE INDEX case_reviewers_queue_order
    ON case_reviewers (reviewer_id, next_deadline, created_day DESC, case_id DESC);

CREATE TRIGGER case_reviewers_queue_on_insert AFTER INSERT ON case_reviewers
BEGIN
    UPDATE case_reviewers SET (next_deadline, created_day) = (
        SELECT c.next_deadline, c.created_day FROM cases c WHERE c.id = NEW.case_id
    ) WHERE case_id = NEW.case_id AND reviewer_id = NEW.reviewer_id;
END;

CREATE TRIGGER case_reviewers_queue_on_update AFTER UPDATE OF case_id ON case_reviewers
BEGIN
    UPDATE case_reviewers SET (next_deadline, created_day) = (
        SELECT c.next_deadline, c.created_day FROM cases c WHERE c.id = NEW.case_id
    ) WHERE case_id = NEW.case_id AND reviewer_id = NEW.reviewer_id;
END;

CREATE TRIGGER cases_queue_copy AFTER UPDATE OF acknowledged, fed_back, acknowledge_by, feedback_by, created_day ON cases
WHEN NEW.next_deadline IS NOT OLD.next_deadline OR NEW.created_day IS NOT OLD.created_day
BEGIN
    UPDATE case_reviewers SET (next_deadline, created_day) = (NEW.next_deadline, NEW.created_day)
    WHERE case_id = NEW.id;
END;

CREATE TRIGGER replies_deadline_on_insert AFTER INSERT ON replies
BEGIN
    UPDATE cases SET (acknowledged, fed_back) = (
        SELECT f.acknowledged, f.fed_back FROM case_deadline_facts f WHERE f.case_id = NEW.case_id
    ) WHERE id = NEW.case_id;
END;

CREATE TRIGGER replies_deadline_on_delete AFTER DELETE ON replies
BEGIN
    UPDATE cases SET (acknowledged, fed_back) = (
        SELECT f.acknowledged, f.fed_back FROM case_deadline_facts f WHERE f.case_id = OLD.case_id
    ) WHERE id = OLD.case_id;
END;

CREATE TRIGGER replies_deadline_on_update AFTER UPDATE OF case_id, feedback ON replies
BEGIN
    UPDATE cases SET (acknowledged, fed_back) = (
        SELECT f.acknowledged, f.fed_back FROM case_deadline_facts f WHERE f.case_id = cases.id
    ) WHERE id IN (OLD.case_id, NEW.case_id);
END;

CREATE TRIGGER status_events_deadline_on_insert AFTER INSERT ON status_events
WHEN NEW.reviewer_id IS NOT NULL
BEGIN
    UPDATE cases SET (acknowledged, fed_back) = (
        SELECT f.acknowledged, f.fed_back FROM case_deadline_facts f WHERE f.case_id = NEW.case_id
    ) WHERE id = NEW.case_id;
END;

CREATE TRIGGER status_events_deadline_on_delete AFTER DELETE ON status_events
WHEN OLD.reviewer_id IS NOT NULL
BEGIN
    UPDATE cases SET (acknowledged, fed_back) = (
        SELECT f.acknowledged, f.fed_back FROM case_deadline_facts f WHERE f.case_id = OLD.case_id
    ) WHERE id = OLD.case_id;
END;

CREATE TRIGGER status_events_deadline_on_update
AFTER UPDATE OF case_id, status, outcome, reason, reviewer_id ON status_events
BEGIN
    UPDATE cases SET (acknowledged, fed_back) = (
        SELECT f.acknowledged, f.fed_back FROM case_deadline_facts f WHERE f.case_id = cases.id
    ) WHERE id IN (OLD.case_id, NEW.case_id);
END;

-- Another final status changes which closings count as feedback: recompute every case.
CREATE TRIGGER deadline_final_status_on_update AFTER UPDATE OF value ON instance_meta
WHEN NEW.name = 'deadline_final_status' AND NEW.value IS NOT OLD.value
BEGIN
    UPDATE cases SET (acknowledged, fed_back) = (
        SELECT f.acknowledged, f.fed_back FROM case_deadline_facts f WHERE f.case_id = cases.id
    );
END;

CREATE TRIGGER deadline_final_status_on_insert AFTER INSERT ON instance_meta
WHEN NEW.name = 'deadline_final_status'
BEGIN
    UPDATE cases SET (acknowledged, fed_back) = (
        SELECT f.acknowledged, f.fed_back FROM case_deadline_facts f WHERE f.case_id = cases.id
    );
END;

CREATE TRIGGER deadline_final_status_on_delete AFTER DELETE ON instance_meta
WHEN OLD.name = 'deadline_final_status'
BEGIN
    UPDATE cases SET (acknowledged, fed_back) = (
        SELECT f.acknowledged, f.fed_back FROM case_deadline_facts f WHERE f.case_id = cases.id
    );
END;
