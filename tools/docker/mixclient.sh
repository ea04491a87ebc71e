#!/bin/sh
# docker-compose.yml's alice and bob: a nym-client registers at its gateway the first time (the
# gateway must be up: `init` talks to it), then runs with its websocket API on 0.0.0.0:PORT.
# Arguments: ID GATEWAY PORT.
set -eu
ID="$1" GATEWAY="$2" PORT="$3"
DIRECTORY="${DIRECTORY_URL:-http://directory:21000}"
if [ ! -d "/clients/$ID" ]; then
  until /app/nym-client init --id "$ID" --directory "$DIRECTORY" --gateway "$(cat "/gateways/$GATEWAY.identity")" \
      --port "$PORT" --root /clients; do
    sleep 1
  done
fi
exec /app/nym-client run --id "$ID" --root /clients --port "$PORT" --directory "$DIRECTORY"
