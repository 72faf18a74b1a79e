"""Process exit codes, the contract a CI gate relies on (documented in the README)."""

CONFORMANT = 0
NOT_CONFORMANT = 1
USAGE_ERROR = 2
TARGET_UNAVAILABLE = 3
INTERNAL_ERROR = 4
INCOMPLETE = 5  # no failure, but the suite could not judge some tests (errors), or nothing was verified
INSUFFICIENT_COVERAGE = 6  # every check passed, but coverage is below --min-coverage
INTERRUPTED = 130
