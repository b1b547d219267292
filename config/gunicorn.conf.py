# gunicorn settings for Candour: `gunicorn -c config/gunicorn.conf.py wsgi:app`.
# Anything here can be overridden on the command line (the tests pass --bind).

import os
import resource
import secrets

# The key for reporter session cookies (portal/reporter/session.py) is made here, in
# the master, so every worker forked from it shares it (a visit's requests land on
# any worker) and it exists only in memory: a restart ends every reporter session.
os.environ.setdefault("CANDOUR_SESSION_KEY", secrets.token_hex(32))

# Loopback only: Tor's onion service, or a reverse proxy on the same host, forwards
# to this. Never expose gunicorn directly.
bind = "127.0.0.1:8000"

# Threads, because uploads over Tor are slow and mostly waiting on the network; two
# processes so one crash or timeout does not take the portal down. 104 threads per
# worker: reporter POSTs may hold 100 of them plus one waiter (REPORTER_POST_CONCURRENCY
# in config/defaults.py), so 100 reports in flight are never refused however they fall
# between the two workers, and 3 threads are always left for the reviewers' workspace.
# An idle thread costs a stack and, once used, its kept database connection (about
# 0.5 MiB each; docs/performance.md).
worker_class = "gthread"
workers = 2
threads = 104

# Each used thread keeps a database connection (two descriptors) and every client is a
# socket: 104 threads and up to 1,000 connections per worker need more descriptors
# than the soft limit of 1,024 that systemd and most shells start a service with. The
# soft limit may be raised up to the hard one without privileges; workers inherit it.
_soft_limit, _hard_limit = resource.getrlimit(resource.RLIMIT_NOFILE)
_wanted_limit = 8192 if _hard_limit == resource.RLIM_INFINITY else min(8192, _hard_limit)
if _soft_limit != resource.RLIM_INFINITY and _soft_limit < _wanted_limit:
    resource.setrlimit(resource.RLIMIT_NOFILE, (_wanted_limit, _hard_limit))

# A 500 MB upload over a slow onion circuit (~150 KB/s) takes about an hour.
timeout = 3600
graceful_timeout = 30
keepalive = 5

# No access log: it would record every request line with the client's address and
# the exact second. The error log goes to stderr through PrivateGunicornLogger,
# which stamps days only and redacts anything shaped like an IP address.
accesslog = None
errorlog = "-"
loglevel = "warning"
logger_class = "portal.logsafety.PrivateGunicornLogger"
capture_output = False

# Trust no proxy headers: X-Forwarded-For and friends would otherwise put a
# client's address into the WSGI environ.
forwarded_allow_ips = ""
proxy_allow_ips = ""
uwsgi_allow_ips = ""
proxy_protocol = "off"

# The control socket is not needed and is one more place that can report on workers
# and connections.
control_socket_disable = True

# Not needed by anyone; keeps the process list free of anything but the name.
proc_name = "candour"


def on_starting(server):  # noqa: ANN001, ANN201 - gunicorn hook signature
    # Remove blob temp files left by workers that died mid-upload, and committed
    # blobs no database row names (a process killed between the two commits). Runs
    # in the master before any worker starts; a worker of an earlier master still
    # storing an upload holds the writers' lock, and then nothing is swept.
    from portal.instance import resolve_instance_path
    from portal.store.recovery import startup_sweep

    result = startup_sweep(resolve_instance_path())
    if result.temp_files:
        server.log.warning("removed %d unfinished upload file(s) from blobs/tmp", result.temp_files)
    if result.orphan_blobs:
        server.log.warning("removed %d blob(s) that no database row names", result.orphan_blobs)
    if result.skipped:
        server.log.warning("start-up sweep skipped: %s", result.skipped)
