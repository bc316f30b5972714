# onprem.wandb: the two commands a user needs are `make setup` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup test lint sanity unit build matrix molecule

help:  ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

setup:  ## Install and start what the tests and playbooks need (Docker engine, venv, images, Go tools)
	bash tests/run.sh setup

test:  ## The full test run CI uses: setup, lint, sanity, unit, build, every Molecule scenario
	bash tests/run.sh setup lint sanity unit build molecule

lint:  ## ansible-lint, production profile
	bash tests/run.sh lint

sanity:  ## ansible-test sanity on a copy under ansible_collections/onprem/wandb
	bash tests/run.sh sanity

unit:  ## pytest unit tests of pure logic
	bash tests/run.sh unit

build:  ## Build the collection tarball, install it and syntax-check every playbook by FQCN
	bash tests/run.sh build

matrix:  ## The other ansible-core versions (tests/matrix): sanity and unit tests on each, the common scenario on the oldest
	bash tests/run.sh matrix

molecule:  ## Every Molecule scenario (create, converge, idempotence, verify, destroy), with the matrix legs
	bash tests/run.sh molecule

.PHONY: lab lab-down lab-info
lab:  ## Bring up the local lab (the whole stack in containers), converge it and print the verify report
	bash tests/lab/lab.sh up

lab-down:  ## Tear the local lab down (containers, network, its secrets)
	bash tests/lab/lab.sh down

lab-info:  ## Print the lab's verify report and how to reach each service
	bash tests/lab/lab.sh info

.PHONY: bench bench-lab bench-peers bench-inventory bench-minio-scale
bench-lab:  ## Time the lab over docker and SSH: first converge, re-run, check --diff, verify (BENCH_CONNECTIONS="docker ssh")
	bash tests/bench/lab.sh

bench-peers:  ## Our roles beside peer roles (geerlingguy.redis, geerlingguy.nginx) on identical fresh containers (RUNS=2 PEERS=dir)
	bash tests/bench/peers.sh $(or $(RUNS),2) $(PEERS)

bench-minio-scale:  ## Time the MinIO role's converge and re-run on 4 and 8 fresh nodes x 2 drives (NODES="4 8")
	bash tests/bench/minio_scale.sh "$(or $(NODES),4 8)"

bench-inventory:  ## Time the site inventory plugin on site files of 9 to 500 hosts (RUNS=3)
	bash tests/bench/inventory.sh $(or $(RUNS),3)

bench:  ## Time first converge, idempotent re-run and check mode of a scenario (SCENARIO=common RUNS=3)
	bash tests/bench/converge.sh $(or $(SCENARIO),common) $(or $(RUNS),3)
