"""The twin: an embedded AWS endpoint on loopback that holds a complete reference stack."""

# Kept here, not in server.py, so that reading them does not import moto.
DEFAULT_REGION = "eu-west-1"
DEFAULT_BACKUP_REGION = "eu-central-1"
ACCOUNT_ID = "123456789012"
