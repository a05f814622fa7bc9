"""Operations on a whole installation: backups and restores, key rotation."""
