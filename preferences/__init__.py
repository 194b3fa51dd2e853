"""The Settings screen: a user's flinkey credentials, customer and preferences."""
