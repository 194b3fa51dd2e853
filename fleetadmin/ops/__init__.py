"""Operations: health endpoints, structured logs, private pages."""
