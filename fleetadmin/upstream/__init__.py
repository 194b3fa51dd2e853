"""The Django face of flinkey: a client per user, the fan-out, the request's time budget."""
