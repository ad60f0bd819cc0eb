# Conveniences; the README's two commands work without make.
.PHONY: run test bench build
run:
	go run ./cmd/edgecd up
test:
	bash scripts/test.sh
build:
	go build -o bin/edgecd ./cmd/edgecd
bench:
	bash bench/edge.sh
