"""A real IMAP server for the tests: Debian's Dovecot, started on a free port with a throwaway
configuration and mail folder (plain login over loopback, a passwd-file user), stopped after.
Tests that need it skip loudly when Dovecot is not installed (`make imap` installs it)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.smtp import free_port

DOVECOT = "/usr/sbin/dovecot"
USER = "events"
PASSWORD = "imap-test-secret"
#: Dovecot answers within a second alone; a loaded CI machine can take many times that.
STARTUP_SECONDS = 60

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def dovecot_missing() -> str | None:
    if not os.access(DOVECOT, os.X_OK):
        return "Dovecot (dovecot-imapd) is not installed: run `make imap`; the IMAP tests did NOT run"
    return None


@dataclass
class DovecotServer:
    root: Path
    port: int
    process: subprocess.Popen[bytes]

    def url(self, folder: str = "INBOX") -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{folder}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def start_dovecot() -> DovecotServer:
    # Its own directory under /tmp, readable by the unprivileged account Dovecot's processes
    # run as (pytest's tmp_path is private to the test runner).
    root = Path(tempfile.mkdtemp(prefix="events-dovecot-"))
    root.chmod(0o755)
    if os.getuid() == 0:
        account = pwd.getpwnam("dovecot")
        uid, gid, user, group = account.pw_uid, account.pw_gid, "dovecot", "dovecot"
    else:
        account = pwd.getpwuid(os.getuid())
        uid, gid, user, group = account.pw_uid, account.pw_gid, account.pw_name, str(account.pw_gid)
    for name in ("run", "state", "mail", "home"):
        (root / name).mkdir()
    for name in ("mail", "home"):
        if os.getuid() == 0:
            os.chown(root / name, uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(_CONFIG.format(root=root, user=user, group=group, uid=uid, gid=gid, port=port))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server = DovecotServer(root, port, process)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            log = (root / "dovecot.log").read_text(errors="replace") if (root / "dovecot.log").exists() else ""
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"dovecot exited: {output}\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as probe:
                if probe.recv(100).startswith(b"* OK"):
                    return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"dovecot did not answer within {STARTUP_SECONDS} s")
