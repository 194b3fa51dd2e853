"""The package's public surface, and that it stays free of Django."""

import subprocess
import sys

import flinkey

ARCHITECTURE_NAMES = {
    "FlinkeyClient", "Token", "Car", "Product", "Location", "Event", "Customer", "Page",
    "Query", "odata", "FlinkeyError", "AuthenticationError", "NotFoundError",
    "BadRequestError", "UnsupportedMediaTypeError", "ServerError", "UnavailableError",
    "UpstreamTimeout",
}  # fmt: skip


def test_all_exports_the_documented_names():
    assert set(flinkey.__all__) >= ARCHITECTURE_NAMES
    assert set(flinkey.__all__) - ARCHITECTURE_NAMES == {
        "ProtocolError",
        "RateLimitedError",
        "InvalidCredentialsFormat",
        "Ahead",
        "Outcome",
        "fan_out",
        "close_sessions",
        "credential_problem",
    }
    for name in flinkey.__all__:
        assert getattr(flinkey, name) is not None


def test_every_error_is_a_flinkey_error():
    for name in flinkey.__all__:
        value = getattr(flinkey, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, flinkey.FlinkeyError)
    assert issubclass(flinkey.UpstreamTimeout, flinkey.UnavailableError)


def test_importing_flinkey_loads_no_django():
    code = "import sys, flinkey; sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], check=False)  # noqa: S603 - our code
    assert result.returncode == 0
