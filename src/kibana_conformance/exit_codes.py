"""Process exit codes, the contract a CI gate relies on (documented in the README)."""

CONFORMANT = 0
NOT_CONFORMANT = 1
USAGE_ERROR = 2
TARGET_UNAVAILABLE = 3
INTERNAL_ERROR = 4
