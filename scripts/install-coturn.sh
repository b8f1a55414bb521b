#!/usr/bin/env bash
# Install Debian's coturn for the call tests: they start their own `turnserver` on a loopback port
# (tests/calls/turn_server.py), so the system service is neither enabled nor started here. Needs root or
# password-less sudo; otherwise says what to run, and the TURN tests are skipped.
set -u
if command -v turnserver >/dev/null 2>&1; then
  exit 0
fi
run_as_root() {
  if [ "$(id -u)" = "0" ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi
}
echo "Installing Debian's coturn (TURN server) for the call tests..."
export DEBIAN_FRONTEND=noninteractive
install_coturn() {
  run_as_root apt-get install -y -q --no-install-recommends coturn >/dev/null 2>&1
}
if install_coturn || { run_as_root apt-get update -q >/dev/null 2>&1 && install_coturn; }; then
  # Debian ships /etc/default/coturn with TURNSERVER_ENABLED unset: the service stays off; stop it in case
  # an init system started it anyway.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet coturn 2>/dev/null; then
    run_as_root systemctl disable --now coturn >/dev/null 2>&1 || true
  fi
  echo "coturn installed: $(turnserver --version 2>/dev/null | head -n 1)"
  exit 0
fi
echo "warning: could not install coturn (run: sudo apt-get install coturn); the TURN relay tests will be skipped." >&2
exit 0
