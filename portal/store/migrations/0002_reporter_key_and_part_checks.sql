-- Reporter side (issue #3): guards on the rows a submission writes.
--
-- 0001's tables cannot gain CHECK constraints without being rebuilt, so these
-- triggers refuse malformed rows instead. They catch a bug in the intake code
-- before it stores a case nobody can log in to or a part nobody can verify.

-- Keys and hashes have fixed sizes: a login hash is BLAKE2b-256, the reporter's
-- keys are X25519 / Ed25519 public keys.
CREATE TRIGGER cases_reporter_key_sizes BEFORE INSERT ON cases
WHEN typeof(NEW.login_hash) != 'blob' OR length(NEW.login_hash) != 32
  OR typeof(NEW.reporter_reply_key) != 'blob' OR length(NEW.reporter_reply_key) != 32
  OR typeof(NEW.reporter_sign_key) != 'blob' OR length(NEW.reporter_sign_key) != 32
BEGIN
    SELECT RAISE(ABORT, 'cases: login_hash and reporter keys must be 32-byte blobs');
END;

-- A part's header hash is BLAKE2b-256 of its envelope header; part indexes are 0..63.
CREATE TRIGGER parts_shape BEFORE INSERT ON parts
WHEN typeof(NEW.header_hash) != 'blob' OR length(NEW.header_hash) != 32 OR NEW.part_index > 63
BEGIN
    SELECT RAISE(ABORT, 'parts: header_hash must be 32 bytes and part_index 0..63');
END;

-- §7: a report's id is its case id; a follow-up's never is.
CREATE TRIGGER submissions_kind_matches_id BEFORE INSERT ON submissions
WHEN (NEW.kind = 'report') != (NEW.id = NEW.case_id)
BEGIN
    SELECT RAISE(ABORT, 'submissions: a report''s id is its case id, a follow-up''s is not');
END;
