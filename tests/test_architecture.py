"""The architecture of docs/architecture.md, enforced: the import contracts in pyproject.toml hold, and no
module is longer than a newcomer can read (500 lines)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "loyaldesk"
MAX_MODULE_LINES = 500


def test_import_contracts_hold() -> None:
    """``lint-imports`` with the contracts of ``[tool.importlinter]``: the layers, the kernel imports no
    domain, domains import no transport, support does not import channels, no cycles between packages."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _module_lengths() -> dict[str, int]:
    lengths = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("migrations/"):
            continue
        with path.open(encoding="utf-8") as lines:
            lengths[relative] = sum(1 for _ in lines)
    return lengths


def test_no_module_is_longer_than_500_lines() -> None:
    lengths = _module_lengths()
    too_long = sorted(f"{name}: {count} lines" for name, count in lengths.items() if count > MAX_MODULE_LINES)
    assert not too_long, f"split these modules (at most {MAX_MODULE_LINES} lines each): {too_long}"
