#!/bin/sh
# Entry point of the Flotilla images, run under tini (PID 1: reaps zombies, forwards signals).
#
# Secrets from files (Docker and Compose secrets): for every variable NAME_FILE, the file's content
# becomes NAME, and NAME_FILE is removed, before the service starts. The service refuses to start
# (exit 78, like an invalid configuration) when such a file is missing, unreadable or empty, or
# when NAME is also set: a secret is never silently missing or ambiguous.
set -eu

for variable in $(env | sed -n 's/^\([A-Z][A-Z0-9_]*\)_FILE=.*$/\1/p'); do
  file=$(printenv "${variable}_FILE")
  if printenv "${variable}" >/dev/null 2>&1; then
    echo "refusing to start: both ${variable} and ${variable}_FILE are set" >&2
    exit 78
  fi
  if [ ! -f "${file}" ] || [ ! -r "${file}" ] || [ ! -s "${file}" ]; then
    echo "refusing to start: ${variable}_FILE=${file} is missing, unreadable or empty" >&2
    exit 78
  fi
  # Command substitution drops the trailing newline editors and `echo` leave in secret files.
  value=$(cat "${file}")
  export "${variable}=${value}"
  unset "${variable}_FILE"
done

exec "$@"
