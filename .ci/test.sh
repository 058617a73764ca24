#!/usr/bin/env bash
# Runs the suite headless, with a PulseAudio null sink so playback is exercised for real.
set -euo pipefail
cd "$(dirname "$0")/.."

export QT_QPA_PLATFORM=offscreen
if ! pactl info >/dev/null 2>&1; then
  pulseaudio --daemonize=yes --exit-idle-time=-1 --system=false --disallow-exit \
    -n --load="module-null-sink sink_name=composer_null" --load="module-native-protocol-unix" \
    >/dev/null 2>&1 || true
  for _ in $(seq 1 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
fi
pactl set-default-sink composer_null >/dev/null 2>&1 || true
exec .venv/bin/python -m pytest "$@"
