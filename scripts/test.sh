#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the tests need when it
# is missing (Debian packages, Go modules), checks formatting, vet and
# staticcheck, then runs every test with the race detector, the end-to-end
# tests against the real binary and the real aws CLI included.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/aws ] || need+=(awscli)            # the real aws CLI v2 the e2e tests drive
command -v rclone >/dev/null || need+=(rclone)   # S3 API conformance with rclone
command -v chromium >/dev/null || need+=(chromium)  # e2e drives the web console in headless Chromium
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql)  # store/postgres and e2e start a private server
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

go mod download

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt: these files are not formatted (run gofmt -w):" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# -p 2 matches the machine's cores. -count=1: the e2e package builds and runs
# the binary, which the test cache cannot see, so a cached pass could be stale.
go test -race -p 2 -count=1 -timeout 25m ./... "$@"
