#!/usr/bin/env bash
# Install the npm packages loyaldesk's pages load at run time (rrweb for co-browsing) from
# frontend/package-lock.json with `npm ci`; the server serves them under /static/vendor/
# (LOYALDESK_FRONTEND_PACKAGES_DIR, default frontend/node_modules). Without npm it says what to install:
# everything else works, and co-browsing says it needs this step.
set -u
cd "$(dirname "$0")/../frontend" || exit 1
if ! command -v npm >/dev/null 2>&1; then
  echo "warning: npm is missing (install Node.js and npm, e.g. sudo apt-get install npm, then run make install again); co-browsing stays off until then." >&2
  exit 0
fi
if [ -f node_modules/rrweb/dist/rrweb.js ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
npm ci --omit=dev --no-audit --no-fund --loglevel=error || {
  echo "warning: npm ci failed in frontend/; co-browsing stays off until it succeeds (make install)." >&2
  exit 0
}
