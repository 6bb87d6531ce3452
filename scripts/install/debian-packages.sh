#!/usr/bin/env bash
# Installs the Debian packages the tests and the sandbox need, only those missing.
# Package scripts must not leave system daemons on ports 53/143: a policy-rc.d that
# denies service starts is put in place for the install (and an existing one kept).
set -euo pipefail

packages=(
  dovecot-imapd          # host1 and host2 (IMAP)
  knot                   # authoritative DNS taking TSIG-signed RFC 2136 updates
  bind9 bind9-dnsutils   # the most common production DNS server; nsupdate/dig
  pdns-server pdns-backend-sqlite3 sqlite3  # the second DNS provider (HTTP API)
  socat                  # forwards the test server's port to one shared JVM
  chromium               # the browser test drives the Temporal Web UI (playwright-core)
  isync                  # mbsync: the reference the sync benchmark compares with (npm run bench:sync)
  postfix dovecot-lmtpd  # the MX in front of host1 and host2, delivering into Dovecot by LMTP
  iproute2               # ip: test/servers/ports.test.ts brings up the loopback of a network namespace of its own
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${missing[*]}" >&2

policy=/usr/sbin/policy-rc.d
placed=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  placed=1
fi
trap '[ -n "$placed" ] && $sudo rm -f "$policy"' EXIT

$sudo apt-get update -qq
# Postfix asks how to configure itself: not at all (no /etc/postfix/main.cf); the tests
# run private instances with their own config directories (scripts/servers/postfix.ts).
echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Where no policy stopped them (a machine with a service manager), stop the daemons
# the packages started: the tests run their own instances on free loopback ports.
for svc in dovecot knot named bind9 pdns postfix; do
  $sudo service "$svc" stop >/dev/null 2>&1 || true
done
# Postfix's postinst enables its unit even when no policy let it start: never at boot.
$sudo systemctl disable postfix.service >/dev/null 2>&1 || true
