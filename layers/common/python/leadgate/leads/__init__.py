"""Leads: models, DynamoDB keys and transactions, list planning and the service the handlers call."""
