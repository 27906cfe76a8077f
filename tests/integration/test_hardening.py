#!/usr/bin/env python3
"""Security hardening (issue 12): each attack a review tried for real, tried again against
the built binary. Runs as root (the nightly job's account) where an attack needs another
user; those cases print SKIPPED without root.

usage: test_hardening.py IAM_AUDIT_BINARY
"""
import ctypes
import os
import struct
import subprocess
import sys
import tempfile

from harness import check, finish, ROOT

BINARY = None
ROOT_USER = os.geteuid() == 0


def run(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 60)
    return subprocess.run([BINARY, *args], **kw)


# ---- 1. symlinks and hard links at the database and its lock --------------------------------
def test_db_paths(work):
    victim = os.path.join(work, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")

    # A folder everybody can write to (no sticky bit) is refused before anything is created.
    shared = os.path.join(work, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o777)
    p = run(["prune", "--db", os.path.join(shared, "ia.db"), "--keep-days", "1"])
    check(p.returncode == 78 and "writable by every user" in p.stderr and "chmod o-w" in p.stderr,
          f"an other-writable database folder is refused with 78 ({p.returncode}: {p.stderr})")
    check(os.listdir(shared) == [], f"nothing created in it: {os.listdir(shared)}")

    # A symlink planted at the lock: refused, and its target is not truncated.
    priv = os.path.join(work, "priv")
    os.mkdir(priv, 0o700)
    os.symlink(victim, os.path.join(priv, "ia.db.lock"))
    p = run(["prune", "--db", os.path.join(priv, "ia.db"), "--keep-days", "1"])
    check(p.returncode == 78 and "symbolic link" in p.stderr,
          f"a symlink at the lock is refused with 78 ({p.returncode}: {p.stderr})")
    check(open(victim).read() == "precious\n", "the symlink's target is untouched")
    os.unlink(os.path.join(priv, "ia.db.lock"))

    # A hard link at the lock: refused, target untouched.
    os.link(victim, os.path.join(priv, "ia.db.lock"))
    p = run(["prune", "--db", os.path.join(priv, "ia.db"), "--keep-days", "1"])
    check(p.returncode == 78 and "hard links" in p.stderr,
          f"a hard link at the lock is refused with 78 ({p.returncode}: {p.stderr})")
    check(open(victim).read() == "precious\n", "the hard link's other name is untouched")
    os.unlink(os.path.join(priv, "ia.db.lock"))

    # A symlink at the database path: no database is created at its target.
    target = os.path.join(work, "elsewhere.db")
    os.symlink(target, os.path.join(priv, "ia.db"))
    for args in (["prune", "--db", os.path.join(priv, "ia.db"), "--keep-days", "1"],
                 ["report", "--db", os.path.join(priv, "ia.db"), "--out", os.path.join(work, "r")]):
        p = run(args)
        check(p.returncode == 78 and "symbolic link" in p.stderr,
              f"{args[0]}: a symlink at the database path is refused with 78 "
              f"({p.returncode}: {p.stderr})")
    check(not os.path.exists(target), "no database was created at the symlink's target")
    os.unlink(os.path.join(priv, "ia.db"))

    # A sticky shared folder (/tmp-like) is fine, but not with someone else's lock in it.
    sticky = os.path.join(work, "sticky")
    os.mkdir(sticky)
    os.chmod(sticky, 0o1777)
    p = run(["prune", "--db", os.path.join(sticky, "ia.db"), "--keep-days", "1"])
    check(p.returncode == 0, f"a sticky shared folder works ({p.returncode}: {p.stderr})")
    if ROOT_USER:
        other = os.path.join(sticky, "o.db.lock")
        with open(other, "w") as f:
            f.write("")
        os.chown(other, 65534, 65534)
        p = run(["prune", "--db", os.path.join(sticky, "o.db"), "--keep-days", "1"])
        check(p.returncode == 78 and "belongs to uid 65534" in p.stderr,
              f"another user's lock in a shared folder is refused ({p.returncode}: {p.stderr})")
    else:
        print("SKIPPED: another user's lock file (needs root)")

    # The usual case still works: a private folder, a fresh database.
    p = run(["prune", "--db", os.path.join(priv, "ok.db"), "--keep-days", "1"])
    check(p.returncode == 0, f"a private folder works ({p.returncode}: {p.stderr})")


# ---- 2. reports swapped for a link while being written -----------------------------------------
IN_MOVED_TO, IN_CREATE, IN_ISDIR, IN_NONBLOCK = 0x80, 0x100, 0x40000000, 0o4000


def created_in(folder, action):
    """Run action() while inotify watches folder; return [(kind, name)] for every entry that
    appeared in it: 'dir' or 'file' created there, 'moved' renamed in."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(IN_NONBLOCK)
    if fd < 0 or libc.inotify_add_watch(fd, folder.encode(), IN_CREATE | IN_MOVED_TO) < 0:
        raise OSError(ctypes.get_errno(), "inotify")
    try:
        action()
        data = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    out, i = [], 0
    while i + 16 <= len(data):
        _, mask, _, n = struct.unpack_from("iIII", data, i)
        name = data[i + 16:i + 16 + n].rstrip(b"\0").decode()
        i += 16 + n
        kind = "moved" if mask & IN_MOVED_TO else "dir" if mask & IN_ISDIR else "file"
        out.append((kind, name))
    return out


def test_report_files(work):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from test_reports import make_db
    db = os.path.join(work, "r.db")
    make_db(db, ROOT)

    # Nothing is ever created in the output folder under a name another user could predict
    # and swap: files appear there only by rename from a private mkdtemp folder.
    out = os.path.join(work, "out")
    os.mkdir(out, 0o755)
    res = {}
    events = created_in(out, lambda: res.update(p=run(["report", "--db", db, "--out", out,
                                                          "--per-team"])))
    p = res["p"]
    check(p.returncode == 0, f"report writes ({p.returncode}: {p.stderr})")
    files = sorted(n for k, n in events if k == "moved")
    printed = sorted(os.path.basename(x) for x in p.stdout.split())
    check(files == printed and len(files) >= 6, f"every report arrives by rename: {events}")
    made = [(k, n) for k, n in events if k != "moved"]
    check(len(made) == 1 and made[0][0] == "dir" and made[0][1].startswith(".iam-audit-"),
          f"the only thing created in the output folder is one private working folder: {made}")
    check(sorted(os.listdir(out)) == printed, f"the working folder is gone: {os.listdir(out)}")
    check(all(os.stat(os.path.join(out, f)).st_mode & 0o777 == 0o600 for f in files),
          "reports are 0600")

    # An output folder every user can write to is refused.
    shared = os.path.join(work, "shared-out")
    os.mkdir(shared)
    os.chmod(shared, 0o777)
    p = run(["report", "--db", db, "--out", shared])
    check(p.returncode == 78 and "writable by every user" in p.stderr,
          f"an other-writable output folder is refused with 78 ({p.returncode}: {p.stderr})")
    check(os.listdir(shared) == [], f"nothing written there: {os.listdir(shared)}")


def main():
    global BINARY
    BINARY = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="ia-hard-") as work:
        test_db_paths(work)
        test_report_files(work)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
