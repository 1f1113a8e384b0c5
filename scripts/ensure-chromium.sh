#!/bin/sh
# Make sure headless Chromium is there for the summary.html browser test.
#
# Called by `make test`. The script itself never fails: without Chromium the browser
# tests fail, saying why. Installs only as root with apt-get (Debian's
# `chromium` package, as in CI containers); otherwise it just says so.
# Costs nothing when Chromium is already installed.
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: chromium not installed (needs root and apt-get); the browser tests will fail" >&2
    exit 0
fi
echo "ensure-chromium: installing chromium for the browser test" >&2
export DEBIAN_FRONTEND=noninteractive
{
    apt-get install -y -q chromium ||
        { apt-get update -q && apt-get install -y -q chromium; }
} >/dev/null 2>&1 || echo "ensure-chromium: could not install chromium; the browser tests will fail" >&2
exit 0
