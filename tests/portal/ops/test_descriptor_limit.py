"""The gunicorn configuration raises a low soft limit on open files (config/gunicorn.conf.py):
104 threads, each keeping a database connection, and up to 1,000 clients per worker
need more than the 1,024 descriptors a service usually starts with."""

from __future__ import annotations

import resource
import subprocess
import sys

from tests.support.paths import REPO_ROOT

CODE = """
import resource, runpy
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
runpy.run_path("config/gunicorn.conf.py")
print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
"""


def test_a_low_soft_limit_is_raised_towards_the_hard_one() -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    result = subprocess.run([sys.executable, "-c", CODE], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    expected = 8192 if hard == resource.RLIM_INFINITY else min(8192, hard)
    assert int(result.stdout) == expected
