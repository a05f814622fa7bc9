"""Encryption at rest: envelopes, the key hierarchy, tokens, passwords and second factors."""
