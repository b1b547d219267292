# Every setting Candour reads, with its default.
#
# Loaded first by portal.create_app(); instance/candour.cfg is loaded on top of it,
# so an instance overrides a setting by assigning it there (see
# config/instance.example.cfg). Only UPPERCASE names become settings.


def N_(text: str) -> str:
    # Marks a label for translation extraction (pybabel -k N_) without translating it
    # here: labels are translated when a page is rendered, in the reader's language.
    return text


# --- Secrets and per-instance values -------------------------------------------
# Written into candour.cfg by `flask --app wsgi init`; never set them here.
SECRET_KEY = None  # signs the session cookie (and so the CSRF token)
INSTANCE_SALT = None  # 16 bytes hex, public: salt for the codename Argon2id
LOGIN_PEPPER = None  # 32 bytes hex, secret: keys the hash of codename login tokens

# --- Organisation ------------------------------------------------------------------
# Shown on the landing page ("Candour for <name>"); None shows no organisation name.
ORGANISATION_NAME = None

# --- What a report can be about -----------------------------------------------------
# (stable key, label). The key goes into the sealed report; the label is what people
# read. Keep keys stable once reports exist: reviewers' tools read them.
CATEGORIES = [
    ("bullying", N_("Bullying")),
    ("sexual_harassment", N_("Sexual harassment")),
    ("racism", N_("Racism (including antisemitism and Islamophobia)")),
    ("other_discrimination", N_("Other discrimination")),
    ("abuse_of_process", N_("Abuse of process")),
    ("data_misuse", N_("Data misuse")),
    ("other", N_("Other")),
]

# --- Case life cycle -----------------------------------------------------------------
# Statuses a case moves through, in the order a reporter usually sees them. A new
# case starts in the first one (STATUSES[0][0]).
STATUSES = [
    ("new", N_("New")),
    ("acknowledged", N_("Acknowledged")),
    ("in_progress", N_("In progress")),
    ("awaiting_reporter", N_("Waiting for more information from you")),
    ("closed", N_("Closed")),
]
# Outcomes a closed case can have; closing a case requires one.
OUTCOMES = [
    ("upheld", N_("Upheld")),
    ("partly_upheld", N_("Partly upheld")),
    ("not_upheld", N_("Not upheld")),
    ("referred", N_("Referred to another body")),
    ("withdrawn", N_("Withdrawn by the reporter")),
]
# Which status may follow which, for online changes and for signed replies alike.
# A status missing from the keys cannot be left (a closed case stays closed).
STATUS_TRANSITIONS = {
    "new": ["acknowledged", "in_progress", "closed"],
    "acknowledged": ["in_progress", "awaiting_reporter", "closed"],
    "in_progress": ["awaiting_reporter", "closed"],
    "awaiting_reporter": ["in_progress", "closed"],
    "closed": [],
}
# The status whose name means "finished": it needs an outcome and has no deadlines.
CLOSED_STATUS = "closed"

# EU Whistleblowing Directive (2019/1937) art. 9: acknowledge within 7 days, give
# feedback within 3 months. Counted in whole days from the day the report arrived.
ACKNOWLEDGE_DAYS = 7
FEEDBACK_DAYS = 90

# Days after a case is closed before it and its blobs are destroyed. The audit trail
# of who did what is kept (hash-chained, `flask --app wsgi audit verify`); the reports
# and replies are not. `flask --app wsgi retention purge` destroys them, and every
# successful workspace sign-in runs the same purge when a case is due.
RETENTION_DAYS = 365

# --- Uploads ---------------------------------------------------------------------------
# Largest total size of everything one submission may carry (text and attachments).
MAX_TOTAL_UPLOAD_BYTES = 500 * 1024 * 1024
# Largest request body Flask accepts at all (413 above it). Headroom over the
# submission limit for form fields, multipart framing and the envelope overhead
# (padding, per-chunk tags) of browser-sealed parts.
MAX_CONTENT_LENGTH = MAX_TOTAL_UPLOAD_BYTES + 64 * 1024 * 1024
# Most attachments one submission may carry (each becomes one sealed part).
MAX_ATTACHMENTS = 20

# --- Codename key derivation -------------------------------------------------------------
# How many Argon2id derivations (64 MiB each) may run at once per worker process; the
# rest wait. Bounds memory under a flood of logins.
ARGON2_CONCURRENCY = 2
# Seconds a report or codename login waits for a free derivation before the reporter
# is told "the portal is busy, your report was NOT sent" (nothing is kept).
ARGON2_WAIT_SECONDS = 20
# How many requests per worker process may wait for a derivation slot at all; any
# more are answered "busy" (503, nothing kept) at once instead of holding a server
# thread for ARGON2_WAIT_SECONDS. Keeps pages answering under a flood of logins.
ARGON2_MAX_WAITING = 2

# --- Flood control (portal/flood.py; docs/threat-model.md "Flood control") -----------------
# No IP address, user agent or time about a reporter is stored for any of these:
# behind an onion service every client is 127.0.0.1 anyway.
# Proof of work on browser-sealed reports and follow-ups: the browser finds a counter
# giving a BLAKE2b hash with this many leading zero bits (16 ≈ 65,000 hashes, well
# under a second in WebAssembly) before the portal accepts what it sealed.
POW_BASE_BITS = 16
# Added to the difficulty for each doubling of the recent rate of admitted stamps
# (per worker, over the last minute) above POW_RATE_THRESHOLD per minute.
POW_STEP_BITS = 2
POW_RATE_THRESHOLD = 30
# The difficulty never goes above this (24 ≈ 16 million hashes: a minute or more on a
# slow phone): a flood slows honest reporters too, but never locks them out.
POW_MAX_BITS = 24
# A challenge is good for about this many seconds (rounded up to the minute).
POW_TTL_SECONDS = 600
# Server-side sealing follow-ups (the no-JavaScript path) at once per worker process;
# beyond it "the portal is busy, your follow-up was NOT sent" (503) at once. New
# reports are never refused before they are read: see NOJS_REPORT_QUEUE.
SERVER_SEALING_CONCURRENCY = 4
# Reporter POSTs (reports, follow-ups, codename logins) whose bodies are still being
# read, at once per worker process. At least 50, so that 50 no-JS reports in flight are
# never told "busy" even if one worker took them all (issue #15; 100, so a burst of 100
# browser-sealed reports is not either); and, with the one waiter below, at least one
# below gunicorn's `threads` (config/gunicorn.conf.py: 104, which leaves 3) so the
# reviewers' workspace always finds a thread however slow a flood of uploads is. What it
# bounds in memory: each such request holds at most its text (2 MiB) and one read
# buffer, so about 200 MiB per worker at the very worst.
REPORTER_POST_CONCURRENCY = 100
# Follow-ups one case may receive per UTC day (per worker process: counted in memory
# under a keyed hash of the case id, forgotten at the day's end or a restart).
FOLLOWUPS_PER_CASE_PER_DAY = 20

# --- Cookies and CSRF ----------------------------------------------------------------------
SESSION_COOKIE_NAME = "candour_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
# "auto": the session cookie gets the Secure flag when the request came over HTTPS.
# True / False force it. An onion service is plain HTTP to the browser, so a fixed
# True would break it; behind a TLS-terminating proxy set True.
COOKIE_SECURE = "auto"
# A reporter's visit (the encrypted candour_case cookie) ends after this many minutes
# without a request, or when the browser closes, or when gunicorn restarts.
SESSION_IDLE_MINUTES = 30
# The CSRF token lives as long as the browser session: a frightened reporter may take
# hours to write a report over Tor, and an expired token would lose what they wrote.
WTF_CSRF_TIME_LIMIT = None
# Flask-WTF's strict mode demands a Referer on HTTPS, but every page is served with
# Referrer-Policy: no-referrer, so browsers send none. SameSite=Strict and the token
# already bind the form to this origin.
WTF_CSRF_SSL_STRICT = False

# --- Reviewer and administrator accounts ---------------------------------------------------
# A signed-in reviewer or administrator is signed out after this many idle minutes.
REVIEWER_SESSION_IDLE_MINUTES = 30
# ... and after this many hours whatever its use (sign in again).
REVIEWER_SESSION_MAX_HOURS = 12
# After this many failed sign-ins in a row an account is locked; each further failure
# doubles the lock, from LOCKOUT_BASE_SECONDS up to LOCKOUT_MAX_SECONDS.
LOCKOUT_THRESHOLD = 5
LOCKOUT_BASE_SECONDS = 60
LOCKOUT_MAX_SECONDS = 3600
# Name shown in the reviewer's authenticator app next to their account.
TOTP_ISSUER = "Candour"
# The organisation's public key line (candour-org-1:…): only reviewer lists it signed
# can be loaded on the admin pages. None disables loading signed lists.
ORG_PUBLIC_KEY = None
# The organisation key's fingerprint (six words) reporters' browsers check the signed
# reviewer list against before sealing to anyone or trusting a reply. None: the
# fingerprint of ORG_PUBLIC_KEY. Set it to pin the key independently of that line.
ORG_FINGERPRINT = None

# --- Languages ---------------------------------------------------------------------------------
BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "UTC"
# Languages offered; the browser's Accept-Language picks among them (never stored).
LANGUAGES = ["en", "cy", "pl", "pa", "ur"]

# --- Logging -------------------------------------------------------------------------------------
# Level of the application's own log (stderr). Nothing about a request is logged at
# any level: no request lines, bodies, client addresses or exact times.
LOG_LEVEL = "WARNING"

# --- E-mail notifications (portal/notify/; docs/operations.md "E-mail notifications") -----
# Off by default: an instance sends no mail until its administrator configures a relay.
# When on, every setting marked "required" must be set or the portal refuses to start,
# so a half-configured relay is found at start-up, not when a digest is due.
NOTIFY_ENABLED = False
# The organisation's own SMTP relay (required). Mail goes nowhere else.
NOTIFY_SMTP_HOST = None
# 587 is the submission port for STARTTLS, 465 for implicit TLS.
NOTIFY_SMTP_PORT = 587
# "starttls" or "tls" (implicit TLS). "none" (no encryption) is accepted only for a
# relay on this machine's loopback address, where nothing crosses a network.
NOTIFY_SMTP_SECURITY = "starttls"
# Certificate authorities to trust for the relay (a PEM file); None: the system's.
NOTIFY_SMTP_CA_FILE = None
# Sign in to the relay with this user and password, or set neither for a relay that
# accepts this host without a login. Prefer NOTIFY_SMTP_PASSWORD_FILE (a file only the
# portal's user can read) so the password is not in candour.cfg; set one, not both.
NOTIFY_SMTP_USER = None
NOTIFY_SMTP_PASSWORD = None
NOTIFY_SMTP_PASSWORD_FILE = None
# Seconds to wait for the relay before a run gives up and retries at the next one.
NOTIFY_SMTP_TIMEOUT_SECONDS = 30
# The sender address of every message (required), e.g. "candour@example.org".
NOTIFY_FROM = None
# The portal's address as staff reach it, e.g. "https://candour.example.org" (required):
# messages link to its workspace and confirmation links point at it. No path.
NOTIFY_PORTAL_URL = None
# When digests go out, in NOTIFY_TIMEZONE. Never at the moment a report arrives: a
# digest holds every change since the previous one, so the mail provider learns at
# most which half-day something arrived in.
NOTIFY_DIGEST_TIMES = ["08:00", "16:00"]
NOTIFY_TIMEZONE = "UTC"
# A digest time is planned by the first `notify send` within this many minutes after
# it. A later run (the machine was off) skips that time and its changes go into the
# next digest, so no message leaves at an hour nobody chose.
NOTIFY_DIGEST_WINDOW_MINUTES = 60
# Remind a case's reviewers this many days before a deadline (and again on the day).
NOTIFY_REMIND_DAYS_BEFORE = 2
# Tell every administrator when a case is this many days past a deadline not met.
NOTIFY_ESCALATE_AFTER_DAYS = 3
# How long a confirmation link stays good; after that the address must be set again.
NOTIFY_CONFIRM_HOURS = 48

# --- Reporter intake -----------------------------------------------------------------------
# A reporter's session also ends this many minutes after the codename was entered,
# however active: a cookie copied from a shared or seized device stops working within
# the hour even if someone keeps using it (the idle limit alone would let it live on).
REPORTER_SESSION_MAX_MINUTES = 60
# Unused since codename derivation version 2 (docs/format.md §6): a new report derives
# no Argon2id, so none waits here any more; kept so existing configs still load.
# Formerly: new no-JavaScript reports that have arrived whole and wait for their
# codename's key derivation (ARGON2_CONCURRENCY at a time), per worker process, and how
# long each may wait. A waiting report holds only its text in memory (a few KiB, 2 MiB at most), so
# this is the memory bound: beyond it, or after the wait, the report is refused with
# its text shown back in the form (nothing typed is lost, nothing kept). Reports beyond
# gunicorn's threads wait in gunicorn's own connection queue, unread and never refused.
NOJS_REPORT_QUEUE = 48
NOJS_REPORT_WAIT_SECONDS = 60
# A reporter POST that finds REPORTER_POST_CONCURRENCY uploads in progress waits this
# long for one to finish before "busy" (one such waiter per worker, so a flood of slow
# uploads still leaves a thread for the reviewers' workspace).
REPORTER_POST_WAIT_SECONDS = 1.0
# Where the organisation publishes its key's six-word fingerprint for reporters to
# compare (a web address or a plain description, e.g. "the members' handbook, page 2"),
# shown beside the fingerprint on the landing and report pages. Comparing it with a
# copy the server does not control is what catches a server that lies about the key.
ORG_FINGERPRINT_PUBLISHED_AT = None

# --- Quick exit (issue 17) -------------------------------------------------------------------------
# Where "Leave this site" on every reporter page goes: a neutral page that looks
# ordinary in a browser's history and over a shoulder. Someone reporting abuse from a
# shared device needs one press to get off the portal. Set it to a page your members
# commonly visit (a news or weather site); it must be a full https:// address. The
# link goes through /leave, which first drops this site's cookies and stored keys.
QUICK_EXIT_URL = "https://www.google.com/"

# --- Static files (portal/static_files.py) ----------------------------------------------------------
# Where the compressed copy of static/ (.br and .gz beside each file, made once per
# version at start-up) is kept. None: <repository>/.cache/static when writable, else
# <instance>/static-cache. Over Tor every kilobyte counts: the report page is 0.33 MB
# with Brotli instead of 1.4 MB.
STATIC_CACHE_DIR = None
