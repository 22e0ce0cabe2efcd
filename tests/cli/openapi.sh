#!/bin/sh
# openapi.sh - validate server/www/openapi.json (OpenAPI 3.1) with an npm
# validator and check that it describes every route of server/routes.c.
# Installs tests/openapi's npm packages (npm ci) the first time.
# Last line: "tests: N passed, N failed".
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
dir=tests/openapi

fail() {
    echo "FAIL - $1"
    echo "tests: 0 passed, 1 failed"
    exit 1
}

for tool in node npm; do
    command -v $tool >/dev/null 2>&1 ||
        fail "$tool is not installed (scripts/deps.sh browser installs it)"
done
if [ ! -d $dir/node_modules/@readme/openapi-parser ]; then
    echo "# installing the validator: npm ci --prefix $dir"
    if ! npm ci --prefix $dir --no-audit --no-fund --loglevel=error \
        >$dir/npm-ci.log 2>&1; then
        cat $dir/npm-ci.log
        fail "npm ci --prefix $dir"
    fi
    rm -f $dir/npm-ci.log
fi
exec node $dir/check.mjs server/www/openapi.json server/routes.c \
    shared/kb_error.c
