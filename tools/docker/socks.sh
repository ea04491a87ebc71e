#!/bin/sh
# docker-compose.yml's SOCKS parts. Argument: ROLE.
#   www        a test web server on 0.0.0.0:21040 (the one destination the requester allows)
#   requester  nym-network-requester at gateway-2, allowing only www:21040; its address goes to
#              /requesters/requester.address for the SOCKS client
#   socks5     nym-socks5-client at gateway-1, SOCKS5 on the container's 127.0.0.1:21041
set -eu
ROLE="$1"
DIRECTORY="${DIRECTORY_URL:-http://directory:21000}"
case "$ROLE" in
  www)
    mkdir -p /tmp/www
    printf '<html><body><p>Hello through the mixnet.</p></body></html>\n' >/tmp/www/index.html
    exec python3 -m http.server --bind 0.0.0.0 --directory /tmp/www 21040
    ;;
  requester)
    if [ ! -d /requesters/requester ]; then
      printf '# The local network test web server. Nothing else.\nwww:21040\n' >/requesters/allowed.list
      until /app/nym-network-requester init --id requester --directory "$DIRECTORY" \
          --gateway "$(cat /gateways/gateway-2.identity)" --root /requesters \
          --allow-list /requesters/allowed.list >/requesters/init.txt; do
        sleep 1
      done
      sed -n 's/^address: //p' /requesters/init.txt >/requesters/requester.address
    fi
    exec /app/nym-network-requester run --id requester --root /requesters --directory "$DIRECTORY"
    ;;
  socks5)
    until [ -s /requesters/requester.address ]; do sleep 1; done
    if [ ! -d /socks5-clients/socks5 ]; then
      until /app/nym-socks5-client init --id socks5 --directory "$DIRECTORY" \
          --provider "$(cat /requesters/requester.address)" --gateway "$(cat /gateways/gateway-1.identity)" \
          --port 21041 --root /socks5-clients; do
        sleep 1
      done
    fi
    exec /app/nym-socks5-client run --id socks5 --root /socks5-clients --directory "$DIRECTORY"
    ;;
  *)
    echo "socks.sh: unknown role '$ROLE' (www, requester, socks5)" >&2
    exit 2
    ;;
esac
