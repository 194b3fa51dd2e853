"""A small OpenID Connect provider for the tests: a real HTTP server on a free port.

Discovery, /authorize (authorization code with state, nonce and PKCE S256), /token
(client secret, redirect URI and code verifier checked; an RS256-signed ID token),
/userinfo (bearer access token) and /jwks. Tests choose who signs in with `sign_in_as`
and can spoil the next ID token with `id_token_overrides` or `sign_with_foreign_key`.
Stdlib http.server and joserfc only, no Django: it stands in for a corporate provider.
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey


@dataclass
class Identity:
    sub: str
    email: str = ""
    preferred_username: str = ""
    groups: list[str] = field(default_factory=list)
    given_name: str = ""
    family_name: str = ""


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    identity: Identity


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class TestIdentityProvider:
    """The provider; `start()` it, point the settings at `issuer`, `stop()` it."""

    __test__ = False  # not a pytest test class

    def __init__(self, *, client_id="fleetadmin", client_secret="idp-client-secret"):
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig",
                                                          "alg": "RS256"})
        self.foreign_key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.identity: Identity | None = None
        self.id_token_overrides: dict = {}
        self.sign_with_foreign_key = False
        self.token_lifetime = 300
        self.token_delay = 0.0  # seconds /token waits before answering (client timeouts)
        self.discovery_delay = 0.0  # seconds discovery waits before answering
        self.discovery_overrides: dict = {}
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self._grants: dict[str, _Grant] = {}
        self._access_tokens: dict[str, Identity] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------

    def start(self, host="127.0.0.1", port=0):
        provider = self

        class Handler(_Handler):
            idp = provider

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def issuer(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def sign_in_as(self, sub, *, groups=(), email="", preferred_username="", **claims):
        """Who is signed in at the provider when the browser next comes to /authorize."""
        self.identity = Identity(sub=sub, groups=list(groups), email=email,
                                 preferred_username=preferred_username, **claims)
        return self.identity

    def reset(self):
        self.identity = None
        self.id_token_overrides = {}
        self.sign_with_foreign_key = False
        self.token_delay = 0.0
        self.discovery_delay = 0.0
        self.discovery_overrides = {}
        self.requests.clear()
        with self._lock:
            self._grants.clear()
            self._access_tokens.clear()

    def settings(self, *, discover=True) -> dict:
        """The Django settings that point fleetadmin at this provider.

        With `discover`, only the issuer: the endpoints come from discovery.
        """
        explicit = not discover
        return {
            "OIDC_ENABLED": True,
            "OIDC_OP_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.issuer}/authorize" if explicit else "",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.issuer}/token" if explicit else "",
            "OIDC_OP_USER_ENDPOINT": f"{self.issuer}/userinfo" if explicit else "",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.issuer}/jwks" if explicit else "",
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
        }

    # -- protocol ------------------------------------------------------------------

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                      "client_secret_basic"],
            **self.discovery_overrides,
        }

    def jwks(self) -> dict:
        return {"keys": [self.key.as_dict(private=False)]}

    def authorize(self, params: dict) -> tuple[int, dict]:
        """Return (status, headers or JSON body) for a GET /authorize."""
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != self.client_id or not redirect_uri:
            return 400, {"error": "invalid_request"}
        state = params.get("state", "")
        if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
            return 302, {"Location": _with_query(redirect_uri, error="invalid_request",
                                                 state=state)}
        if self.identity is None:
            return 302, {"Location": _with_query(redirect_uri, error="login_required",
                                                 state=state)}
        method = params.get("code_challenge_method")
        if params.get("code_challenge") and method != "S256":
            return 302, {"Location": _with_query(redirect_uri, error="invalid_request",
                                                 state=state)}
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(
                client_id=params["client_id"], redirect_uri=redirect_uri,
                nonce=params.get("nonce"), code_challenge=params.get("code_challenge"),
                code_challenge_method=method, identity=self.identity,
            )
        return 302, {"Location": _with_query(redirect_uri, code=code, state=state)}

    def token(self, form: dict, basic_auth: tuple[str, str] | None) -> tuple[int, dict]:
        client_id, client_secret = basic_auth or (form.get("client_id"), form.get("client_secret"))
        if client_id != self.client_id or client_secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code works once
        if grant is None or grant.client_id != client_id:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier") or ""
            if s256(verifier) != grant.code_challenge:
                return 400, {"error": "invalid_grant", "error_description": "code_verifier"}
        now = int(time.time())
        identity = grant.identity
        claims = {
            "iss": self.issuer, "sub": identity.sub, "aud": self.client_id,
            "iat": now, "exp": now + self.token_lifetime, "auth_time": now,
            "groups": identity.groups,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims.update(self.id_token_overrides)
        claims = {name: value for name, value in claims.items() if value is not None}
        key = self.foreign_key if self.sign_with_foreign_key else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = identity
        return 200, {"access_token": access_token, "token_type": "Bearer",
                     "expires_in": self.token_lifetime, "id_token": id_token}

    def userinfo(self, authorization: str) -> tuple[int, dict]:
        scheme, _, token = (authorization or "").partition(" ")
        with self._lock:
            identity = self._access_tokens.get(token) if scheme.lower() == "bearer" else None
        if identity is None:
            return 401, {"error": "invalid_token"}
        info = {"sub": identity.sub, "groups": identity.groups}
        for name in ("email", "preferred_username", "given_name", "family_name"):
            if getattr(identity, name):
                info[name] = getattr(identity, name)
        return 200, info


def _with_query(url: str, **params) -> str:
    separator = "&" if urlsplit(url).query else "?"
    return url + separator + urlencode(params)


class _Handler(BaseHTTPRequestHandler):
    idp: TestIdentityProvider

    def log_message(self, format, *args):  # quiet test output
        pass

    def _send_json(self, status: int, body: dict):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        try:
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (timeout tests)

    def do_GET(self):
        parts = urlsplit(self.path)
        self.idp.requests.append(("GET", parts.path))
        params = {name: values[0] for name, values in parse_qs(parts.query).items()}
        if parts.path == "/.well-known/openid-configuration":
            if self.idp.discovery_delay:
                time.sleep(self.idp.discovery_delay)
            return self._send_json(200, self.idp.discovery())
        if parts.path == "/jwks":
            return self._send_json(200, self.idp.jwks())
        if parts.path == "/userinfo":
            return self._send_json(*self.idp.userinfo(self.headers.get("Authorization", "")))
        if parts.path == "/authorize":
            status, answer = self.idp.authorize(params)
            if status != 302:
                return self._send_json(status, answer)
            self.send_response(302)
            self.send_header("Location", answer["Location"])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return self._send_json(404, {"error": "not_found"})

    def do_POST(self):
        parts = urlsplit(self.path)
        self.idp.requests.append(("POST", parts.path))
        length = int(self.headers.get("Content-Length") or 0)
        form = {name: values[0] for name, values in
                parse_qs(self.rfile.read(length).decode()).items()}
        if parts.path != "/token":
            return self._send_json(404, {"error": "not_found"})
        if self.idp.token_delay:
            time.sleep(self.idp.token_delay)
        basic = None
        header = self.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            decoded = base64.b64decode(header[6:]).decode()
            user, _, password = decoded.partition(":")
            basic = (unquote(user), unquote(password))
        return self._send_json(*self.idp.token(form, basic))
