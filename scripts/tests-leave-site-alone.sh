#!/usr/bin/env bash
# Shows that the test suite leaves the author's work alone: after `make site`, `make test` and then
# `make site` again must build no image and measure no variant, and every image the author's pages
# name must keep its ID. Run from the repository, with the engine up; takes as long as the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_MKDOCS_2_WARNING=1
ids() { docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | grep '^smallest-go/' | sort; }

make site >/dev/null
before=$(ids)
cached=$(ls .cache/results | sort)
echo "before: $(echo "$before" | wc -l) images of the author's, $(echo "$cached" | grep -c json) cached measurements"
make test >/tmp/tests-leave-site-alone.test.log 2>&1 || { tail -n 30 /tmp/tests-leave-site-alone.test.log; exit 1; }
tail -n 1 /tmp/tests-leave-site-alone.test.log
log=$(make site 2>&1)
ready=$(echo "$log" | grep -oE '(one|[0-9,]+) variants? ready in .*' || true)
echo "after make test, make site says: $ready"
after=$(ids)
if [ "$before" != "$after" ]; then
  echo "FAIL: image IDs differ:"; diff <(echo "$before") <(echo "$after") || true; exit 1
fi
if [ "$cached" != "$(ls .cache/results | sort)" ]; then echo "FAIL: .cache/results changed"; exit 1; fi
grep -q '(0 measured' <<< "$ready" || { echo "FAIL: make site measured something"; exit 1; }
if grep -q ': building ' <<< "$log"; then echo "FAIL: make site built an image"; exit 1; fi
echo "OK: make test then make site built nothing, measured nothing, and every image ID is unchanged"
