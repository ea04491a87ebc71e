# The local Nym network (README "A whole Nym network"). Everything runs on this machine's loopback;
# docker-compose.yml runs the same tree in containers.
#   make localnet-build   the binaries (release preset), then the configuration tree build/ and
#                         localnetdata/localclient/ (tools/localnet.py build; refuses to replace keys:
#                         LOCALNET_BUILD_FLAGS=--force does)
#   make localnet-up | localnet-status | localnet-down
#   make localnet-docker-build    the same tree with the services naming each other as the compose file does
#   make docker-images            the image docker-compose.yml runs (needs a Docker engine; none was
#                                 available where this was written, so it has not been run)
JOBS ?= 2
PYTHON ?= python3
LOCALNET_OUT ?= build
LOCALNET_BUILD_FLAGS ?=
export NYM_BIN ?= $(CURDIR)/build/release/bin

.PHONY: apps localnet-build localnet-docker-build docker-images localnet-up localnet-down localnet-status demo test

apps:
	JOBS=$(JOBS) bash tools/build.sh

localnet-build: apps
	$(PYTHON) tools/localnet.py --out $(LOCALNET_OUT) build $(LOCALNET_BUILD_FLAGS)

localnet-docker-build: apps
	$(PYTHON) tools/localnet.py --out $(LOCALNET_OUT) build --docker $(LOCALNET_BUILD_FLAGS)

docker-images:
	docker build -t nym-cpp:local .

localnet-up:
	$(PYTHON) tools/localnet.py --out $(LOCALNET_OUT) up

localnet-status:
	$(PYTHON) tools/localnet.py --out $(LOCALNET_OUT) status

localnet-down:
	$(PYTHON) tools/localnet.py --out $(LOCALNET_OUT) down

demo:
	bash tools/demo.sh

test:
	bash tools/test.sh
