"""contrib/systemd/chorus.service, checked offline by systemd-analyze.

No systemd runs here to start the unit, so it is verified (syntax, every
directive known, ExecStart executable) and its sandbox scored, with only
ExecStart's path pointed at the binary under test. Skipped without
systemd-analyze (Debian's systemd package).
"""

import re
import shutil
import subprocess

import pytest

from conftest import REPO, chorus_bin

UNIT = REPO / "contrib" / "systemd" / "chorus.service"
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(not ANALYZE, reason="systemd-analyze not installed")
EXEC = "ExecStart=/usr/local/bin/chorus serve --data /var/lib/chorus --config /etc/chorus/chorus.ini"


@pytest.fixture
def unit(tmp_path):
    text = UNIT.read_text()
    assert text.count(EXEC) == 1
    path = tmp_path / "chorus.service"
    path.write_text(text.replace("/usr/local/bin/chorus", chorus_bin()))
    return path


def analyze(*args):
    return subprocess.run([ANALYZE, *args], capture_output=True, text=True, timeout=60)


def test_the_unit_verifies_cleanly(unit):
    res = analyze("verify", str(unit))
    assert res.returncode == 0 and res.stdout + res.stderr == "", res.stderr


def test_a_broken_unit_does_not_verify(unit):
    """the check above can fail: systemd ignores what it cannot parse,
    and says so"""
    unit.write_text(unit.read_text().replace("ProtectSystem=strict", "ProtectSystem=sternly")
                    .replace("NoNewPrivileges=", "NoNewPrivilegs="))
    res = analyze("verify", str(unit))
    out = res.stdout + res.stderr
    assert "sternly" in out and "NoNewPrivilegs" in out, out


def test_the_unit_is_hardened(unit):
    text = unit.read_text()
    for line in ("ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes",
                 "ReadWritePaths=/var/lib/chorus", "StateDirectory=chorus",
                 "Restart=on-failure", "User=chorus"):
        assert re.search(rf"^{re.escape(line)}$", text, re.M), line
    assert re.search(r"^LimitNOFILE=\d+$", text, re.M)
    res = analyze("security", "--offline=yes", str(unit))
    level = re.search(r"Overall exposure level for chorus\.service: ([\d.]+)", res.stdout)
    assert level, res.stdout + res.stderr
    assert float(level.group(1)) <= 2.0, res.stdout
