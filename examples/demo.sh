#!/usr/bin/env bash
# The smo demo: build a scratch workspace for the fictional Acme Installatietechniek B.V. and run
# the presence inventory (init → import → gap → audit) and listening (queries → sources →
# listen run → mentions → routing → inbox) end to end, offline.
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

step "smo policy: Acme's Dutch social media policy, from its answers and what smo knows"
cp "$here/acme/policy.yaml" "$ws/policy.yaml"
smo policy check
smo policy publish --lang nl
smo policy generate --lang nl --out "$ws/socialemediabeleid.html"
smo policy ack pieter.bakker@acme-installatie.example ingrid.deboer@acme-installatie.example \
  sanne.devries@acme-installatie.example linda.visser@acme-installatie.example
smo policy status --summary
smo policy remind --dept marketing    # personal reminders, written as .eml files by the demo's channel

step "smo training: Acme's courses, a session for sales with calendar invitations, attendance, coverage"
cp "$here/acme/training.yaml" "$ws/training.yaml"
smo training course check
next_week=$(python3 -c 'import datetime; print(datetime.date.today() + datetime.timedelta(days=7))')
last_week=$(python3 -c 'import datetime; print(datetime.date.today() - datetime.timedelta(days=7))')
smo training session add basis --at "$next_week 09:00" --location "Kantine, Arnhem" \
  --trainer sanne.devries@acme-installatie.example --capacity 30
smo training invite 1 --dept sales --ics-out "$ws/uitnodigingen"   # .eml files with training.ics
smo training session add basis --at "$last_week 13:30" --location "Kantine, Arnhem"
smo training attend 2 jan.jansen@acme-installatie.example fatima.bouzid@acme-installatie.example \
  kees.vandijk@acme-installatie.example
smo training status --dept sales
smo training needs --dept marketing
smo training material basis --lang nl --out "$ws/training-basis.html"

step "smo awareness: a kick-off to every employee, the baseline survey, and the reach per department"
smo awareness campaign new kickoff-2026 --kind kickoff --lang nl
smo awareness send kickoff-2026 --dept hr --dry-run
smo awareness send kickoff-2026 -f csv | head -n 4   # 40 personal e-mails, written as .eml files
smo awareness send kickoff-2026                      # again: nobody receives it twice
smo awareness campaign new beleid-v1 --kind policy-launch
smo awareness survey new "$here/acme/survey.yaml"
smo awareness survey import nulmeting-2026 "$here/acme/survey-responses.csv"
smo awareness survey results nulmeting-2026
smo awareness status

step "smo listen: offline feeds served on 127.0.0.1 by a local server the demo starts"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$here/acme/feeds" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
  sleep 0.1
done
feeds="http://127.0.0.1:$port"
smo queries import "$here/acme/queries.yaml"
cp "$here/acme/rules.yaml" "$ws/rules.yaml"
smo route lint
smo sources add rss --url "$feeds/google-alerts.xml" --name google-alerts --allow-private
smo sources add rss --url "$feeds/nieuws.xml" --name regionaal-nieuws --allow-private
smo sources add rss --url "$feeds/concurrent-blog.xml" --name warmtewerk-blog --allow-private
smo listen run
smo mentions list
smo mentions list --sentiment negative -f json
smo listen run --all      # again, ignoring poll intervals: nothing new, each mention is stored once

step "smo route / smo inbox: each mention routed by rules.yaml to the colleague who answers it"
smo route test "Kan ik een offerte krijgen voor een warmtepomp van Acme?"
smo inbox list
smo outbox send --digests     # the demo's channel writes e-mails as .eml files
smo outbox list
ls "$ws/outbox"

step "smo engage: a draft and a scheduled post for Acme (publishing is a dry run: no secrets needed)"
smo engage accounts list
smo engage draft "Open dag: kom kijken in onze werkplaats in Arnhem! #opendag https://www.acme-installatie.example/opendag" \
  --to mastodon,bluesky --at "$next_week 10:00"
smo engage schedule 1
smo engage post "Wij zoeken een servicemonteur (m/v/x) in Arnhem. Ken jij iemand? #vacature https://www.acme-installatie.example/vacatures" \
  --to acme-mastodon,acme-bluesky --at "$next_week 09:30" --dry-run   # the request bodies, with Bluesky's facets
smo engage calendar
smo engage calendar --format ics --out "$ws/contentkalender.ics"

step "smo me: the officer's own practice log"
smo me log "Answered a customer question with a 30-second video on Mastodon" --tag video \
  --tag mastodon --outcome "Three times the usual replies"
smo me goals add "Learn Bluesky custom feeds" --by "$next_week"
smo me goals list

step "smo strategy: Acme's strategy for the CEO, with where Acme stands today"
cp "$here/acme/strategy.yaml" "$ws/strategy.yaml"
smo strategy check
smo strategy generate --lang nl --out "$ws/socialemediastrategie.html"
smo strategy generate --lang en --format md --out "$ws/strategy-en.md"

step "smo kpi: Acme's KPIs against their targets, manual figures from the CRM, and ROI"
cp "$here/acme/kpis.yaml" "$ws/kpis.yaml"
smo kpi list
month=$(python3 -c 'import datetime; print(datetime.date.today().strftime("%Y-%m"))')
smo kpi record aanvragen_social 7 --note "CRM, bron = sociale media"
smo kpi record linkedin_page_followers 1912
smo kpi report --period "$month"
smo kpi report --period "$month" --lang en --format html --out "$ws/kpi-en.html"
smo kpi cost add --category hours --hours 24 --rate 55 --description "Social media, Sanne"
smo kpi cost add --category tools --amount 49 --description "Planningstool"
smo kpi value add --category leads --quantity 7 --unit-value 180 --description "Aanvragen via sociale media (CRM)"
smo kpi value add --category savings --amount 240 --description "40 vragen via sociale media i.p.v. de telefoon"
smo kpi roi --period "$month"

step "smo report: the one-page report for the CEO (Dutch HTML) and the report for sales"
smo report executive --period "$month" --lang nl --format html --out "$ws/directierapportage.html"
smo report department sales --period "$month" --lang nl
smo report executive --period "$month" --send --dry-run   # to the strategy's approver

printf '\nDone. Open %s and %s in a browser; the workspace is %s.\n' \
  "$ws/directierapportage.html" "$ws/audit-nl.html" "$ws"
