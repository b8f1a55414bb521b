#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (Playwright drives /usr/bin/chromium; it never
# downloads a browser of its own). Needs root or password-less sudo; otherwise says what to run.
set -u
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
run_as_root() {
  if [ "$(id -u)" = "0" ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi
}
echo "Installing Debian's chromium for the browser tests..."
export DEBIAN_FRONTEND=noninteractive
if run_as_root apt-get install -y -q chromium >/dev/null 2>&1 \
  || { run_as_root apt-get update -q >/dev/null 2>&1 && run_as_root apt-get install -y -q chromium >/dev/null 2>&1; }; then
  echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null)"
  exit 0
fi
echo "warning: could not install chromium (run: sudo apt-get install chromium); browser tests will be skipped." >&2
exit 0
