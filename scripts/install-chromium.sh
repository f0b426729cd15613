#!/bin/sh
# Install Debian's chromium for the report tests; without root, say what to do instead.
set -eu
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "chromium is missing and installing it needs root: run 'sudo apt-get install chromium'." >&2
    echo "The report tests skip until it is installed." >&2
    exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
