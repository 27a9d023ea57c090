#!/bin/sh
# Stop the quick-start daemon and nginx started by tools/demo.sh.
DEMO=$(cd "$(dirname "$0")/.." && pwd)/demo
[ -f "$DEMO/nginx/nginx.pid" ] && kill "$(cat "$DEMO/nginx/nginx.pid")" 2>/dev/null
[ -f "$DEMO/sessiongw.pid" ] && kill "$(cat "$DEMO/sessiongw.pid")" 2>/dev/null
rm -f "$DEMO/sessiongw.pid"
echo "demo stopped"
