# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile input: one table of bad names, durations, numbers, options, config
files, lock dirs, lock files, records, users and programs. Every row names the
exact exit status (README's table) and a fragment of the one error line.

After every row, whatever the guard did:
- it did not crash: no death by signal, no sanitizer report;
- it printed exactly as many `showguard: error:` lines as the row says (1 for
  a failure);
- it wrote nothing in its sandbox outside the lock dir (the lock dir's own
  missing parents excepted: they are created by design);
- no lock file in the sandbox is left held (util-linux flock -n);
- no process of its session is left.
"""

import os
import pwd
import socket
import stat
import subprocess
from dataclasses import dataclass
from typing import Callable, Optional

from harness import SLOW, GuardTestCase, lock_is_held, main, showguard_cmd, wait_for

ROOT = os.geteuid() == 0
ERROR = "showguard: error:"
WARNING = "showguard: warning:"
CRASH_MARKERS = ("Sanitizer", "runtime error:", "==ERROR", "Segmentation fault", "core dumped")


def unprivileged_user():
    """The uid and gid an unprivileged guard runs as: nobody on Debian."""
    try:
        pw = pwd.getpwnam("nobody")
        return pw.pw_uid, pw.pw_gid
    except KeyError:
        return None


@dataclass
class Row:
    name: str
    args: list
    code: int
    fragment: str = ""
    setup: Optional[Callable] = None  # setup(sandbox) prepares files before the run
    errors: int = 1                   # how many `showguard: error:` lines
    lock_dir: str = "locks"           # relative to the sandbox; its subtree may change
    as_user: bool = False             # run the guard as an unprivileged user
    needs_root: bool = False          # the setup needs root (mount, chown)
    held: tuple = ()                  # lock files the setup itself holds (not the guard's)
    check: Optional[Callable] = None  # check(sandbox, result) after the common checks
    warning: str = ""                 # a fragment of the one `showguard: warning:` line the row promises


def guard(*options, program=("true",), show="starcourt"):
    return ["--show", show, "--lock-dir", "{locks}", *options, "--", *program]


def bad_value(name, option, value, equals=False):
    """A usage error: the guard refuses the value of option, naming both."""
    return Row(name, guard(f"{option}={value}") if equals else guard(option, value), 64,
               f"invalid value '{value}' for {option}")


def check_config_row(name, fragment, setup):
    """check-config over a config dir whose show files setup makes: exit 1, the problem on stdout."""
    return Row(name, ["check-config", "--config", "/dev/null", "--config-dir", "{box}/conf"], 1, fragment,
               errors=0, setup=setup)


def with_show_file(text, show="starcourt"):
    """A show file with this content; the guard is pointed at it."""
    def setup(box):
        os.makedirs(os.path.join(box, "conf", "shows"))
        with open(os.path.join(box, "conf", "shows", show + ".conf"), "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode())
    return setup


def show_file_row(name, text, code, fragment, **kwargs):
    """A row whose show file holds text; fragment may use {file}."""
    file = "{box}/conf/shows/starcourt.conf"
    return Row(name, ["--show", "starcourt", "--config", "/dev/null", "--config-dir", "{box}/conf",
                      "--lock-dir", "{locks}"],
               code, fragment.replace("{file}", file), setup=with_show_file(text), **kwargs)


def make(path_kind, target=None, mode=None, owner=None, content=b""):
    """A setup that makes one thing at a sandbox-relative path."""
    def setup(box):
        path = os.path.join(box, path_kind[1])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        kind = path_kind[0]
        if kind == "dir":
            os.mkdir(path)
        elif kind == "file":
            with open(path, "wb") as f:
                f.write(content)
        elif kind == "symlink":
            os.symlink(target.replace("{box}", box), path)
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "socket":
            s = socket.socket(socket.AF_UNIX)
            s.bind(path)
            s.close()
        if mode is not None:
            os.chmod(path, mode)
        if owner is not None:
            uid, gid = unprivileged_user()
            os.lchown(path, uid, gid)
    return setup


def steps(*setups):
    def setup(box):
        for s in setups:
            s(box)
    return setup


def tmpfs(relative, options, fill=False, inodes=False, read_only=False, lock_dir=None):
    """Mounts a small tmpfs at a sandbox path (unmounted by the test)."""
    def setup(box):
        path = os.path.join(box, relative)
        os.makedirs(path)
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", path], check=True)
        if lock_dir:
            os.mkdir(os.path.join(path, lock_dir))
        if fill:  # fill every block
            fd = os.open(os.path.join(path, "fill"), os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                while os.write(fd, b"\0" * 4096):
                    pass
            except OSError:
                pass
            os.close(fd)
        if inodes:  # use up every inode
            i = 0
            while True:
                try:
                    open(os.path.join(path, f"f{i}"), "w").close()
                except OSError:
                    break
                i += 1
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", path], check=True)
    return setup


def only_lock_file(box, result):
    """The record could not be written: no temporary file is left beside the lock."""
    assert os.listdir(os.path.join(box, "fs", "locks")) == ["starcourt.lock"], \
        os.listdir(os.path.join(box, "fs", "locks"))


def record_replaced(box, result):
    path = os.path.join(box, "locks", "starcourt.state")
    st = os.lstat(path)
    assert stat.S_ISREG(st.st_mode), "the record is not a regular file"
    with open(path) as f:
        assert "starcourt" in f.read(), "the record does not name the show"


def nothing_created(box, name):
    """A lock dir that cannot be made is refused before any of its parents is made."""
    assert not os.path.lexists(os.path.join(box, name)), f"created {name}"


def stranger_unharmed(box):
    """`stop` signals guards only: the stranger holding the lock still holds it."""
    assert lock_is_held(os.path.join(box, "locks", "starcourt.lock")), "stop signalled a process that is no guard"


def lock_file_mode_0600(box, result):
    mode = stat.S_IMODE(os.stat(os.path.join(box, "locks", "starcourt.lock")).st_mode)
    assert mode == 0o600, oct(mode)


GARBAGE = bytes(range(256)) * 4
LONG = "a" * 65

ROWS = [
    # --- show names
    Row("show traversal", guard(show="../x"), 64, "invalid show name '../x': must not start with '.'"),
    Row("show with slash", guard(show="a/b"), 64, "invalid show name 'a/b': contains '/'"),
    Row("show empty", guard(show=""), 64, "invalid show name '': is empty"),
    Row("show 65 characters", guard(show=LONG), 64, "is longer than 64 characters"),
    Row("show 64 characters is fine", guard(show="a" * 64), 0, errors=0),
    Row("show control character", guard(show="bad\x01name"), 64, "'bad\\x01name'"),
    Row("show newline", guard(show="two\nlines"), 64, "'two\\x0alines'"),
    Row("show terminal escape", guard(show="red\x1b[31m"), 64, "'red\\x1b[31m'"),
    Row("show non-ASCII", guard(show="caf\u00e9"), 64, "'caf\\xc3\\xa9'"),
    Row("show leading dot", guard(show=".hidden"), 64, "must not start with '.'"),
    Row("show dot-dot", guard(show=".."), 64, "must not start with '.'"),
    Row("show leading dash", guard(show="-rf"), 64, "must not start with '-'"),
    Row("show with space", guard(show="a b"), 64, "contains ' '"),
    Row("status traversal", ["status", "--lock-dir", "{locks}", "../x"], 64, "invalid show name '../x'"),
    Row("stop empty name", ["stop", "", "--lock-dir", "{locks}"], 64, "invalid show name '': is empty"),
    # --- resource names
    Row("resource traversal", guard("--resource", "../x"), 64,
        "invalid value '../x' for --resource; a resource name must not start with '.'"),
    Row("resource with slash", guard("--resource", "dmx/1"), 64, "for --resource; a resource name contains '/'"),
    Row("resource empty", guard("--resource", ""), 64, "invalid value '' for --resource; a resource name is empty"),
    Row("resource 65 characters", guard("--resource", LONG), 64, "a resource name is longer than 64 characters"),
    Row("resource control character", guard("--resource", "dmx\x7f"), 64, "'dmx\\x7f' for --resource"),
    Row("resource non-ASCII", guard("--resource", "\u00fcber"), 64, "'\\xc3\\xbcber' for --resource"),
    Row("resource leading dot", guard("--resource", ".dmx"), 64, "must not start with '.'"),
    Row("resource leading dash", guard("--resource=-dmx"), 64, "must not start with '-'"),
    bad_value("board traversal", "--board", "../etc"),
    # --- durations
    bad_value("wait negative", "--wait", "-1s", equals=True),
    bad_value("wait garbage", "--wait", "soon", equals=True),
    bad_value("wait exponent", "--wait", "1e3", equals=True),
    bad_value("wait overflow", "--wait", "99999999999999999999", equals=True),
    bad_value("wait over a week", "--wait", "169h", equals=True),
    bad_value("wait over a week in seconds", "--wait", "604801", equals=True),
    Row("wait exactly a week is fine", guard("--wait=168h"), 0, errors=0),
    bad_value("kill-timeout unknown unit", "--kill-timeout", "5sec"),
    bad_value("kill-timeout unit in capitals", "--kill-timeout", "5S"),
    bad_value("kill-timeout days", "--kill-timeout", "1d"),
    bad_value("kill-timeout unit only", "--kill-timeout", "ms"),
    bad_value("kill-timeout empty", "--kill-timeout", ""),
    bad_value("kill-timeout leading space", "--kill-timeout", " 5s"),
    bad_value("kill-timeout two dots", "--kill-timeout", "1.5.5"),
    bad_value("kill-timeout bare dot", "--kill-timeout", ".5"),
    Row("restart-delay below a millisecond", guard("--restart-delay", "1.0001s"), 64,
        "invalid value '1.0001s' for --restart-delay"),
    Row("restart-delay trailing garbage", guard("--restart-delay", "5ms5"), 64,
        "invalid value '5ms5' for --restart-delay"),
    Row("stop timeout negative", ["stop", "starcourt", "--timeout", "-1", "--lock-dir", "{locks}"], 64,
        "invalid value '-1' for --timeout"),
    Row("led-test step zero", ["led-test", "--led", "none", "--step", "0"], 64, "invalid value '0' for --step"),
    # --- numbers out of range
    Row("conflict-exit-code 256", guard("--conflict-exit-code", "256"), 64,
        "invalid value '256' for --conflict-exit-code; expected a whole number from 0 to 255"),
    bad_value("conflict-exit-code -1", "--conflict-exit-code", "-1"),
    Row("conflict-exit-code hex", guard("--conflict-exit-code", "0x10"), 64, "invalid value '0x10'"),
    Row("conflict-exit-code overflow", guard("--conflict-exit-code", "18446744073709551616"), 64,
        "invalid value '18446744073709551616' for --conflict-exit-code"),
    Row("restart-limit huge", guard("--restart-limit", "99999999999999999999"), 64,
        "invalid value '99999999999999999999' for --restart-limit; expected a whole number from 0 to 1000000"),
    bad_value("restart-limit just over", "--restart-limit", "1000001"),
    bad_value("restart-limit negative", "--restart-limit", "-1"),
    # --- unknown options and bad values
    Row("unknown option", guard("--bogus"), 64, "unrecognised option '--bogus'"),
    Row("unknown short option", guard("-x"), 64, "unrecognised option '-x'"),
    Row("abbreviated option", guard("--wai"), 64, "unrecognised option '--wai'"),
    Row("show given twice", guard("--show", "other"), 64, "'--show' cannot be specified more than once"),
    Row("stray argument", ["statuz"], 64, "unexpected argument; the show's program goes after '--'"),
    Row("status unknown option", ["status", "--bogus"], 64, "unrecognised option '--bogus'"),
    Row("status unknown format", ["status", "--format", "xml", "--lock-dir", "{locks}"], 64,
        "invalid value 'xml' for --format"),
    bad_value("restart policy", "--restart", "sometimes"),
    bad_value("environment key", "--environment", "BAD KEY=1"),
    bad_value("led spec", "--led", "laser:1"),
    Row("empty lock dir", ["--show", "starcourt", "--lock-dir", "", "--", "true"], 64,
        "invalid value '' for --lock-dir; it must not be empty"),
    Row("missing program", ["--show", "starcourt", "--lock-dir", "{locks}", "--config", "/dev/null",
                            "--config-dir", "{box}"], 64, "missing the show's program"),
    # --- config files: every error names FILE:LINE
    show_file_row("config binary garbage", GARBAGE, 78, "{file}:1: line holds a NUL byte"),
    show_file_row("config garbage without NUL", bytes(range(0x80, 0x100)) * 8, 78,
                  "{file}:1: expected 'key = value', found '\\x80\\x81"),
    show_file_row("config huge line", "command = true\n# " + "x" * 5000 + "\n", 78,
                  "{file}:2: line is longer than 4096 bytes"),
    show_file_row("config unknown key", "command = true\n\ncolour = red\n", 78, "{file}:3: unknown key 'colour'"),
    show_file_row("config duplicate key", "restart = always\nrestart = no\ncommand = true\n", 78,
                  "{file}:2: duplicate key 'restart' (first set at {file}:1)"),
    show_file_row("config missing value", "command = true\nuser =\n", 78, "{file}:2: missing value for user"),
    show_file_row("config unterminated double quote", 'command = /bin/echo "hello\n', 78,
                  "{file}:1: invalid value '/bin/echo \"hello' for command; unterminated double quote"),
    show_file_row("config unterminated single quote", "command = /bin/echo 'hello\n", 78,
                  "{file}:1: invalid value '/bin/echo 'hello' for command; unterminated single quote"),
    show_file_row("config command of nothing", 'command = ""\n', 78, "{file}:1: invalid value '\"\"' for command; it names no program"),
    show_file_row("config section", "[show]\ncommand = true\n", 78, "{file}:1: sections like [show] are not used"),
    show_file_row("config NUL byte", b"command = true\nled = no\0ne\n", 78, "{file}:2: line holds a NUL byte"),
    show_file_row("config no equals", "command true\n", 78, "{file}:1: expected 'key = value', found 'command true'"),
    show_file_row("config no key", "= true\n", 78, "{file}:1: missing key before '='"),
    show_file_row("config show key", "show = other\ncommand = true\n", 78,
                  "{file}:1: unknown key 'show' (the show is named by the file or --show)"),
    show_file_row("config number out of range", "command = true\nconflict-exit-code = 300\n", 78,
                  "{file}:2: invalid value '300' for conflict-exit-code"),
    show_file_row("config duration", "command = true\nkill-timeout = forever\n", 78,
                  "{file}:2: invalid value 'forever' for kill-timeout"),
    show_file_row("config control character in value", "command = true\nrestart = no\x1b\n", 78,
                  "{file}:2: invalid value 'no\\x1b' for restart"),
    Row("config file too large", ["--show", "starcourt", "--config", "{box}/big.conf", "--lock-dir", "{locks}",
                                  "--", "true"], 78, "config file {box}/big.conf is larger than 1024 KiB",
        setup=make(("file", "big.conf"), content=b"# comment\n" * 120_000)),
    Row("config file is a directory", ["--show", "starcourt", "--config", "{box}", "--lock-dir", "{locks}",
                                       "--", "true"], 78, "config file {box} is not a regular file"),
    Row("config file is a fifo", ["--show", "starcourt", "--config", "{box}/fifo", "--lock-dir", "{locks}",
                                  "--", "true"], 78, "config file {box}/fifo is not a regular file",
        setup=make(("fifo", "fifo"))),
    Row("config file missing", ["--show", "starcourt", "--config", "{box}/none.conf", "--lock-dir", "{locks}",
                                "--", "true"], 78, "cannot read config file {box}/none.conf: No such file or directory"),
    Row("config file unreadable", ["--show", "starcourt", "--config", "{box}/secret.conf", "--lock-dir", "{locks}",
                                   "--", "true"], 78, "cannot read config file {box}/secret.conf: Permission denied",
        setup=make(("file", "secret.conf"), mode=0o600, content=b"restart = no\n"), as_user=True),
    Row("global config error", ["--show", "starcourt", "--config", "{box}/global.conf", "--lock-dir", "{locks}",
                                "--", "true"], 78, "{box}/global.conf:2: unknown key 'colour'",
        setup=make(("file", "global.conf"), content=b"restart = no\ncolour = red\n")),
    Row("board file is not a board", guard("--board-file", "{box}/board.conf"), 78,
        "{box}/board.conf:1: expected 'key = value'", setup=make(("file", "board.conf"), content=b"root:x:0:0\n")),
    # --- lock dirs
    Row("lock dir with missing parents is created", guard(), 0, errors=0, lock_dir="no/such/parent/locks"),
    Row("lock dir under a file", guard(), 73, "cannot create lock dir {box}/afile/locks: Not a directory",
        lock_dir="afile/locks", setup=make(("file", "afile"))),
    Row("lock dir is a file", guard(), 73, "lock dir {locks} is not a directory", setup=make(("file", "locks"))),
    Row("lock dir is a symlink", guard(), 73, "lock dir {locks} is a symlink",
        setup=steps(make(("dir", "real")), make(("symlink", "locks"), target="{box}/real"))),
    Row("lock dir is a dangling symlink", guard(), 73, "lock dir {locks} is a symlink",
        setup=make(("symlink", "locks"), target="{box}/nowhere")),
    Row("lock dir writable by everyone", guard(), 73, "lock dir {locks} is writable by everyone",
        setup=make(("dir", "locks"), mode=0o777)),
    Row("lock dir sticky and writable by everyone is fine", guard(), 0, errors=0,
        setup=make(("dir", "locks"), mode=0o1777)),
    Row("lock dir of another user", guard(), 73, "lock dir {locks} belongs to uid",
        setup=make(("dir", "locks"), owner=True), needs_root=True),
    Row("lock dir path too long", guard(), 73, "cannot create lock dir {locks}: File name too long",
        lock_dir="/".join(["d" * 250] * 20), check=lambda box, result: nothing_created(box, "d" * 250)),
    Row("lock dir unwritable", guard(), 73, "cannot open lock file {locks}/starcourt.lock: Permission denied",
        setup=make(("dir", "locks"), mode=0o755), as_user=True),
    Row("lock dir parent unwritable", guard(), 73, "cannot create lock dir {box}/ro/locks: Permission denied",
        lock_dir="ro/locks", setup=make(("dir", "ro"), mode=0o755), as_user=True),
    Row("lock dir on a full filesystem", guard(), 0, "", errors=0, lock_dir="fs/locks", needs_root=True,
        setup=tmpfs("fs", "size=64k", fill=True, lock_dir="locks"), check=only_lock_file,
        warning="cannot write status record {locks}/starcourt.state: No space left on device"),
    Row("lock dir on a filesystem without inodes", guard(), 73,
        "cannot open lock file {locks}/starcourt.lock: No space left on device", lock_dir="fs/locks",
        needs_root=True, setup=tmpfs("fs", "size=1m,nr_inodes=16", inodes=True, lock_dir="locks")),
    Row("lock dir on a read-only filesystem", guard(), 73,
        "cannot open lock file {locks}/starcourt.lock: Read-only file system", lock_dir="fs/locks",
        needs_root=True, setup=tmpfs("fs", "size=64k", read_only=True, lock_dir="locks")),
    Row("lock dir cannot be made on a read-only filesystem", guard(), 73,
        "cannot create lock dir {locks}: Read-only file system", lock_dir="fs/locks", needs_root=True,
        setup=tmpfs("fs", "size=64k,ro")),
    Row("resource dir is a symlink", guard("--resource", "dmx1"), 73, "lock dir {locks}/resources is a symlink",
        setup=steps(make(("dir", "locks")), make(("dir", "real")),
                    make(("symlink", "locks/resources"), target="{box}/real"))),
    Row("resource dir is a file", guard("--resource", "dmx1"), 73, "lock dir {locks}/resources is not a directory",
        setup=make(("file", "locks/resources"))),
    Row("status of a lock dir that is a file", ["status", "--lock-dir", "{locks}"], 73,
        "lock dir {locks} is not a directory", setup=make(("file", "locks"))),
    # --- lock files and records
    Row("lock file is a symlink", guard(), 73, "lock file {locks}/starcourt.lock is a symlink; refusing to follow it",
        setup=steps(make(("file", "target"), content=b"keep"),
                    make(("symlink", "locks/starcourt.lock"), target="{box}/target"))),
    Row("lock file is a dangling symlink", guard(), 73, "lock file {locks}/starcourt.lock is a symlink",
        setup=make(("symlink", "locks/starcourt.lock"), target="{box}/created-through-link")),
    Row("lock file is a fifo", guard(), 73, "lock file {locks}/starcourt.lock is not a regular file",
        setup=make(("fifo", "locks/starcourt.lock"))),
    Row("lock file is a socket", guard(), 73, "cannot open lock file {locks}/starcourt.lock: No such device or address",
        setup=make(("socket", "locks/starcourt.lock"))),
    Row("lock file is a directory", guard(), 73, "lock file {locks}/starcourt.lock is a directory",
        setup=make(("dir", "locks/starcourt.lock"))),
    Row("lock file of another user", guard(), 73, "lock file {locks}/starcourt.lock belongs to uid",
        setup=make(("file", "locks/starcourt.lock"), owner=True), needs_root=True),
    Row("lock file of root, guard unprivileged", guard(), 73, "lock file {locks}/starcourt.lock belongs to uid 0",
        setup=steps(make(("dir", "locks"), owner=True), make(("file", "locks/starcourt.lock"))), as_user=True),
    Row("resource lock file is a symlink", guard("--resource", "dmx1"), 73,
        "lock file {locks}/resources/dmx1.lock is a symlink",
        setup=steps(make(("file", "target")), make(("symlink", "locks/resources/dmx1.lock"), target="{box}/target"))),
    Row("lock file with garbage is fine", guard(), 0, errors=0,
        setup=make(("file", "locks/starcourt.lock"), mode=0o644, content=GARBAGE), check=lock_file_mode_0600),
    Row("record with garbage is replaced", guard(), 0, errors=0,
        setup=make(("file", "locks/starcourt.state"), content=GARBAGE), check=record_replaced),
    Row("record is a symlink", guard(), 0, errors=0, check=record_replaced,
        setup=steps(make(("file", "target"), content=b"keep"),
                    make(("symlink", "locks/starcourt.state"), target="{box}/target"))),
    Row("record is a directory", guard(), 0, "", errors=0, setup=make(("dir", "locks/starcourt.state")),
        warning="cannot replace status record {locks}/starcourt.state"),
    Row("held by a stranger, garbage record", guard(), 75,
        "show starcourt is busy: held by pid", held=("starcourt.lock",),
        setup=make(("file", "locks/starcourt.state"), content=GARBAGE)),
    Row("stop a show held by a stranger", ["stop", "starcourt", "--lock-dir", "{locks}", "--timeout", "1s"], 1,
        "show starcourt is held by pid", held=("starcourt.lock",), setup=make(("dir", "locks")),
        check=lambda box, result: stranger_unharmed(box)),
    Row("status lists a garbage record without failing", ["status", "--lock-dir", "{locks}"], 0, "unknown",
        errors=0, setup=make(("file", "locks/starcourt.state"), content=GARBAGE)),
    Row("status of a named show with a garbage record", ["status", "starcourt", "--lock-dir", "{locks}"], 1,
        "show starcourt is unknown", setup=make(("file", "locks/starcourt.state"), content=GARBAGE)),
    # --- check-config reads show files as the guard does
    check_config_row("check-config show file is a fifo",
                     "config file {box}/conf/shows/fifo.conf is not a regular file",
                     make(("fifo", "conf/shows/fifo.conf"))),
    check_config_row("check-config show file too large",
                     "config file {box}/conf/shows/big.conf is larger than 1024 KiB",
                     make(("file", "conf/shows/big.conf"), content=b"#" * (1024 * 1024 + 1))),
    check_config_row("check-config show file is a directory",
                     "config file {box}/conf/shows/dir.conf is not a regular file",
                     make(("dir", "conf/shows/dir.conf"))),
    check_config_row("check-config garbage show file",
                     "{box}/conf/shows/starcourt.conf:1: line holds a NUL byte", with_show_file(GARBAGE)),
    check_config_row("check-config show file with an invalid name", "is not a valid show name",
                     make(("file", "conf/shows/-rf.conf"), content=b"command = true\n")),
    # --- users and groups
    Row("unknown user", guard("--user", "no-such-user-xyz"), 67, "unknown user 'no-such-user-xyz'"),
    Row("unknown numeric user", guard("--user", "4000000"), 67, "unknown user '4000000'"),
    Row("user with control character", guard("--user", "bad\nuser"), 67, "unknown user 'bad\\x0auser'"),
    bad_value("empty user", "--user", ""),
    Row("unknown group", guard("--group", "no-such-group-xyz"), 67, "unknown group 'no-such-group-xyz'"),
    Row("unknown numeric group", guard("--group", "4294967295"), 67, "unknown group '4294967295'"),
    show_file_row("unknown user in a show file", "command = true\nuser = no-such-user-xyz\n", 67,
                  "unknown user 'no-such-user-xyz'"),
    # --- programs
    Row("program does not exist", guard(program=("{box}/nope",)), 127, "{box}/nope does not exist"),
    Row("program not in PATH", guard(program=("no-such-show-program",)), 127,
        "no-such-show-program", ),
    Row("program not executable", guard(program=("{box}/run",)), 126, "{box}/run is not executable",
        setup=make(("file", "run"), mode=0o644, content=b"#!/bin/sh\n")),
    Row("program is a directory", guard(program=("{box}",)), 126, "{box} is a directory"),
    Row("program is a device", guard(program=("/dev/null",)), 126, "/dev/null is not executable"),
    Row("program is an empty string", guard(program=("",)), 127, "the show's program is an empty string"),
    Row("program not executable as --user", guard("--user", "nobody", program=("{box}/run",)), 126,
        "cannot execute {box}/run: Permission denied", needs_root=True,
        setup=make(("file", "run"), mode=0o700, content=b"#!/bin/sh\n")),
    Row("working directory missing", guard("--working-directory", "{box}/nowhere"), 78,
        "working directory {box}/nowhere of show starcourt is not a directory"),
]


def snapshot(root, skip):
    """Every path under root but those under skip: type, mode, owner, size, content time."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if any(rel == s or rel.startswith(s + "/") for s in skip):
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            relpath = os.path.relpath(path, root)
            if any(relpath == s or relpath.startswith(s + "/") for s in skip):
                continue
            st = os.lstat(path)
            seen[relpath] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid,
                             st.st_size if not stat.S_ISDIR(st.st_mode) else 0, st.st_mtime_ns)
    return seen


def session_members(sid):
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(entry))
    return members


class HostileInputTest(GuardTestCase):
    def setUp(self):
        super().setUp()
        self.mounts = []
        self.holders = []

    def tearDown(self):
        for p in self.holders:
            os.killpg(p.pid, 9)
            p.wait()
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", m], check=False)
        super().tearDown()

    def test_every_row(self):
        counts = {"rows": 0, "skipped": 0}
        user = unprivileged_user()
        for number, row in enumerate(ROWS):
            with self.subTest(row=row.name):
                if (row.needs_root or row.as_user) and not ROOT:
                    counts["skipped"] += 1
                    self.skipTest("needs root to prepare the files and drop to nobody")
                if row.as_user and not user:
                    counts["skipped"] += 1
                    self.skipTest("no unprivileged user 'nobody' to run the guard as")
                self.run_row(number, row, user)
                counts["rows"] += 1
        print(f"hostile input: {counts['rows']} rows checked, {counts['skipped']} skipped, of {len(ROWS)}")

    def run_row(self, number, row, user):
        box = self.path(f"row{number}")
        os.mkdir(box)
        os.chmod(box, 0o755)
        cwd = os.path.join(box, "cwd")
        os.mkdir(cwd)
        locks = os.path.join(box, row.lock_dir)
        if row.setup:
            row.setup(box)
            with open("/proc/self/mounts") as f:
                self.mounts += [m.split()[1] for m in f if m.split()[1].startswith(box + "/")]
        if row.as_user:
            # The unprivileged guard must reach its sandbox and write only its own.
            os.chown(cwd, *user)
        for lock in row.held:
            holder = subprocess.Popen(["flock", os.path.join(locks, lock), "sleep", "60"], start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.holders.append(holder)
            wait_for(lambda: lock_is_held(os.path.join(locks, lock)), message="the stranger taking the lock")

        def expand(text):
            return text.replace("{locks}", locks).replace("{box}", box)

        args = [expand(a) for a in row.args]
        # The lock dir's subtree may change; its missing parents may be created.
        rel_lock_dir = os.path.relpath(locks, box)
        skip = {rel_lock_dir}
        parent = os.path.dirname(rel_lock_dir)
        created_parents = set()
        while parent:
            if not os.path.lexists(os.path.join(box, parent)):
                created_parents.add(parent)
            parent = os.path.dirname(parent)
        before = snapshot(box, skip)

        cmd = showguard_cmd(*args)
        if row.as_user:
            cmd = ["setpriv", f"--reuid={user[0]}", f"--regid={user[1]}", "--clear-groups", *cmd]
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        # The guard leads a session of its own: whatever is still in it afterwards was left behind.
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, errors="replace", start_new_session=True)
        try:
            out, err = proc.communicate(timeout=60 * SLOW)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.communicate()
            self.fail(f"hung: $ {cmd}")
        leftovers = session_members(proc.pid)
        result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)

        context = f"\n$ {cmd}\nexit {result.returncode}\n{out}{err}"
        self.assertGreaterEqual(result.returncode, 0, "killed by a signal" + context)
        for marker in CRASH_MARKERS:
            self.assertNotIn(marker, err, context)
        self.assertEqual(result.returncode, row.code, context)
        errors = [line for line in err.splitlines() if line.startswith(ERROR)]
        self.assertEqual(len(errors), row.errors, f"expected {row.errors} error line(s)" + context)
        if row.fragment:
            # A failure's one error line names the thing; check-config reports on stdout.
            self.assertIn(expand(row.fragment), errors[0] if errors else out + err, context)

        if row.warning:
            # The show ran, and the record that could not be written is
            # reported (once per write, naming it), not silently skipped.
            # (Other warnings, such as qemu-user's refused subreaper, aside.)
            warnings = [line for line in err.splitlines() if line.startswith(WARNING) and "status record" in line]
            self.assertTrue(warnings, "no warning about the status record" + context)
            for line in warnings:
                self.assertIn(expand(row.warning), line, context)

        after = snapshot(box, skip)
        for parent in created_parents:
            if parent in after:
                self.assertEqual(after.pop(parent)[0], stat.S_IFDIR, parent)
        self.assertEqual(after, before, "wrote outside the lock dir" + context)

        stranger = {os.path.join(locks, lock) for lock in row.held}
        for dirpath, _, files in os.walk(box):
            for name in files:
                path = os.path.join(dirpath, name)
                if name.endswith(".lock") and path not in stranger and stat.S_ISREG(os.lstat(path).st_mode):
                    self.assertFalse(lock_is_held(path), f"{path} left held" + context)
        self.assertEqual(leftovers, [], "processes left behind" + context)
        if row.check:
            row.check(box, result)


if __name__ == "__main__":
    main()
