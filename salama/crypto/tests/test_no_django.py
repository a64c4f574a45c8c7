"""salama.crypto stands alone: no Django, so it can be reviewed and reused on its own."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
SALAMA = PACKAGE.parent

PROBE = f"""
import sys
sys.path.insert(0, {str(SALAMA.parent)!r})
import salama.crypto, salama.crypto.blind, salama.crypto.envelope, salama.crypto.keys, salama.crypto.keystore
key, key_id = salama.crypto.generate_key(), salama.crypto.new_key_id()
where = salama.crypto.Context("o", "m", "f", 1)
assert salama.crypto.unseal({{key_id: key}}, salama.crypto.seal(key, key_id, b"x", where), where) == b"x"
leaked = sorted(name for name in sys.modules if name == "django" or name.startswith("django."))
print(",".join(leaked) or "clean")
"""


def test_importing_and_using_the_package_loads_no_django():
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=environment, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


def test_no_module_in_the_package_imports_django():
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name == "django" or name.startswith("django.") for name in names), path
