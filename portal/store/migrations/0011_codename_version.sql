-- Which codename derivation each case's login hash and reporter keys come from
-- (docs/format.md §6): 1 = Argon2id, every case stored before this migration;
-- 2 = keyed BLAKE2b, what new cases get. A codename login tries version 2 first and
-- derives version 1 (Argon2id, under the portal's budget) only while a version 1
-- case exists, which the partial index answers without a scan.
ALTER TABLE cases ADD COLUMN codename_version INTEGER NOT NULL DEFAULT 1 CHECK (codename_version IN (1, 2));

CREATE INDEX cases_codename_version_1 ON cases (codename_version) WHERE codename_version = 1;
