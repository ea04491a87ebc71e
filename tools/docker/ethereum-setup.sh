#!/bin/sh
# docker-compose.yml's one-shot `ethereum-setup`: once geth (service `ethereum`) answers, deploys the
# NymToken with build/ethereum/deployer.key — at the address the tree's configs already name (the
# deployer's first contract) — and funds the client's account, unless the token is there already
# (geth's chain lives in build/ethereum/geth and goes on across restarts).
set -eu
URL="${ETHEREUM_URL:-http://ethereum:8545}"
rpc() { curl -sf -X POST -H 'content-type: application/json' --data "$1" "$URL"; }
for _ in $(seq 1 300); do
  rpc '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' >/dev/null && break
  sleep 0.2
done
TOKEN="$(python3 -c 'import json; print(json.load(open("/build/localnet.json"))["ethereum"]["token"])')"
CODE="$(rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getCode\",\"params\":[\"$TOKEN\",\"latest\"]}")"
case "$CODE" in
  *'"result":"0x"'*) ;;
  *) echo "ethereum-setup: token $TOKEN already deployed"; exit 0 ;;
esac
CLIENT="$(/app/nym-eth-pipe address --key /localnetdata/localclient/clientAccount.key)"
OUT="$(/app/nym-eth-pipe dev-setup --ethereum "$URL" --deployer-key /build/ethereum/deployer.key \
  --artifact /contracts/NymToken.json --fund "$CLIENT")"
echo "$OUT"
echo "$OUT" | grep -qi "^token=$TOKEN" || { echo "ethereum-setup: the token is not where the configs expect $TOKEN" >&2; exit 1; }
