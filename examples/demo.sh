#!/usr/bin/env bash
# The smo demo: build a scratch workspace for the fictional Acme Installatietechniek B.V. and run
# the presence inventory end to end — init → import → gap → audit — offline.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
ws="$repo/demo/acme"
rm -rf "$ws"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "smo init: a workspace with a commented smo.yaml and a migrated database"
smo init "$ws" --org "Acme Installatietechniek" --lang nl
cp "$here/acme/smo.yaml" "$ws/smo.yaml"
export SMO_WORKSPACE="$ws"

step "smo org: departments from smo.yaml, people from HR's export"
smo org people import "$here/acme/employees.csv"
smo org departments

step "smo inventory: accounts and targets"
smo inventory import "$here/acme/accounts.csv"
smo inventory target import "$here/acme/targets.csv"
smo inventory list

step "smo inventory gap: what is missing, what should not exist, what is not secured"
smo inventory gap
smo inventory gap --dept hr -f json

step "smo inventory audit: the report for the CEO (Dutch HTML and English Markdown)"
smo inventory audit --lang nl --format html --out "$ws/audit-nl.html"
smo inventory audit --lang en --format md --out "$ws/audit-en.md"
smo inventory export --out "$ws/accounts-export.csv"

printf '\nDone. Open %s in a browser; the workspace is %s.\n' "$ws/audit-nl.html" "$ws"
