-- Reporter sessions ended by Leave (issue #14): a copied candour_case cookie must not
-- work after the reporter left, on any worker. Each row is a session's random id
-- (16 bytes made at codename login, carried only inside the encrypted cookie) and the
-- day after which the session could not be used anyway (its absolute lifetime is
-- shorter than a day); rows are purged once that day has passed. Nothing else: no
-- case, no time of day, nothing that links a row to a reporter or a case.
CREATE TABLE reporter_session_revocations (
    session_id BLOB PRIMARY KEY CHECK (typeof(session_id) = 'blob' AND length(session_id) = 16),
    expires_day TEXT NOT NULL CHECK (expires_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
);
