#!/usr/bin/env bash
# Install what the browser tests load into pages (axe-core for the accessibility audit) from
# browser/package-lock.json with `npm ci`. Without npm it says what to install and the audit is skipped.
set -u
cd "$(dirname "$0")/../browser" || exit 1
if ! command -v npm >/dev/null 2>&1; then
  echo "warning: npm is missing (install Node.js and npm, e.g. sudo apt-get install npm); the accessibility audit will be skipped." >&2
  exit 0
fi
if [ -f node_modules/axe-core/axe.min.js ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error || {
  echo "warning: npm ci failed in browser/; the accessibility audit will be skipped." >&2
  exit 0
}
