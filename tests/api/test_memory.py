"""Memory of a serving daemon (issue 16): a password hash (Argon2id, 19 MiB of working
memory) leaves nothing resident behind. glibc used to keep such blocks in a thread's heap
after the first one raised its mmap threshold: idle RSS grew by about 19.5 MB after one
CreateLoginProfile and stayed there. The figures over ten million requests are the
bench's (bench/leak_check.sh)."""

import pytest

from conftest import SANITIZED


def vm_rss_kb(d):
    with open("/proc/%d/status" % d.proc.pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


@pytest.mark.skipif(SANITIZED, reason="ASan's allocator replaces glibc's, whose threshold is under test")
def test_password_hashes_leave_no_resident_memory(fresh_daemon):
    d = fresh_daemon()
    iam = d.client("iam")
    iam.create_user(UserName="warmup")  # the request path's own first-use allocations
    before = vm_rss_kb(d)
    for i in range(4):
        iam.create_user(UserName="u%d" % i)
        iam.create_login_profile(UserName="u%d" % i, Password="Correct-Horse-%d-Battery!" % i)
    iam.update_login_profile(UserName="u0", Password="Another-Horse-0-Battery!")
    grown = vm_rss_kb(d) - before
    assert grown < 4096, "VmRSS grew by %d kB over five password hashes" % grown
