#!/bin/bash
# One validator in one container (docker-compose.yml's node0..node3, the documents' /app/nymnode):
# nym-validator, the ABCI app, on 127.0.0.1:26658 inside the container, then CometBFT in the
# foreground on the node's home (/node: build/nodes/nodeK, which the tree's --docker configs make
# listen on 0.0.0.0:26656/26657 and reach their peers as nodeJ:26656). Either exiting stops both.
set -euo pipefail
HOME_DIR="${NODE_HOME:-/node}"
/app/nym-validator --data-dir "$HOME_DIR/data/nym-ledger" --host 127.0.0.1 --port 26658 --log-level info &
app=$!
trap 'kill -TERM "$app" 2>/dev/null; wait "$app"' EXIT INT TERM
# CometBFT refuses to start when its app does not answer; give it the moment it needs.
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/26658) 2>/dev/null && break
  kill -0 "$app" 2>/dev/null || exit 1
  sleep 0.1
done
/app/cometbft start --home "$HOME_DIR"
