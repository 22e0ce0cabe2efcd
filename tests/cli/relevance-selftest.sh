#!/bin/sh
# relevance-selftest.sh - the metric code of the relevance harness on a
# hand-computed example (the harness itself runs in make bench-relevance).
exec sh tests/relevance/run.sh --selftest
