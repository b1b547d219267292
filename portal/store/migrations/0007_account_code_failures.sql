-- Wrong codes get their own count and lock (docs/threat-model.md, "Guessing and the
-- lock"). failed_logins and locked_until now count wrong passwords only: anyone who
-- knows a username can raise them, so their lock only stops the password alone from
-- opening the account (the password with a right code still does). Wrong codes can
-- only be sent after the right password, so only someone holding the password can
-- raise these two, and their lock refuses every code until it ends.
ALTER TABLE accounts ADD COLUMN failed_codes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN codes_locked_until INTEGER NOT NULL DEFAULT 0;  -- Unix seconds
