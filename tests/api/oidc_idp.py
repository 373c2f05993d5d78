"""A small OpenID Connect identity provider for the tests, served over HTTPS on 127.0.0.1
with a self-signed certificate it makes itself: the discovery document, a JWK Set (an RSA
and a P-256 key), and, for the console's federated sign-in, an authorization endpoint that
redirects straight back with a code and a token endpoint that trades the code for an ID
token. Tokens are signed here with the same keys (mint)."""

import base64
import hashlib
import http.server
import json
import ssl
import tempfile
import threading
import time
import urllib.parse
import os
import secrets
import datetime
import ipaddress

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_bytes(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return n.to_bytes(length, "big")


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def jwk(key, kid):
    """The public JWK of a private key."""
    pub = key.public_key().public_numbers()
    if isinstance(key, rsa.RSAPrivateKey):
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64url(_int_bytes(pub.n)), "e": b64url(_int_bytes(pub.e))}
    return {"kty": "EC", "use": "sig", "crv": "P-256", "kid": kid, "x": b64url(_int_bytes(pub.x, 32)), "y": b64url(_int_bytes(pub.y, 32))}


def sign(key, claims, kid):
    """A compact JWS of claims signed by key (RS256 or ES256), naming kid (None: no kid)."""
    alg = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    header = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
    if alg == "RS256":
        sig = key.sign(signing, padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(key.sign(signing, ec.ECDSA(hashes.SHA256())))
        sig = _int_bytes(r, 32) + _int_bytes(s, 32)
    return signing.decode() + "." + b64url(sig)


def self_signed():
    """(cert PEM path, key PEM path, SHA-1 thumbprint) of a new certificate for 127.0.0.1."""
    key = ec_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    d = tempfile.mkdtemp(prefix="idp-cert-")
    cp, kp = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    with open(cp, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(kp, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cp, kp, cert.fingerprint(hashes.SHA1()).hex()


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def _json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        idp = self.server.idp
        idp.asked.append(self.path)
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/.well-known/openid-configuration":
            self._json(200, idp.discovery())
        elif url.path == "/jwks":
            self._json(200, {"keys": idp.published})
        elif url.path == "/authorize":
            q = dict(urllib.parse.parse_qsl(url.query))
            code = secrets.token_urlsafe(16)
            idp.codes[code] = q
            back = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q.get("state", "")})
            self.send_response(302)
            self.send_header("Location", back)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self):
        idp = self.server.idp
        idp.asked.append(self.path)
        n = int(self.headers.get("Content-Length", "0"))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
        idp.token_requests.append(form)
        q = idp.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = b64url(hashlib.sha256(verifier.encode()).digest())
        if (
            self.path != "/token"
            or q is None
            or form.get("grant_type") != "authorization_code"
            or form.get("client_secret") != idp.client_secret
            or form.get("client_id") != q.get("client_id")
            or form.get("redirect_uri") != q.get("redirect_uri")
            or q.get("code_challenge") != challenge
        ):
            self._json(400, {"error": "invalid_grant"})
            return
        claims = idp.claims(aud=q["client_id"], nonce=q.get("nonce"))
        claims.update(idp.login_claims)
        if idp.bad_nonce:
            claims["nonce"] = "not-the-nonce"
        key = idp.other_key if idp.bad_signature else idp.rsa
        self._json(200, {"access_token": "at", "token_type": "Bearer", "id_token": sign(key, claims, "rsa-1")})


class IdP:
    """An identity provider on 127.0.0.1 over HTTPS. url is its issuer (https://127.0.0.1:PORT),
    host its provider id as IAM names it (127.0.0.1:PORT), thumbprint its certificate's."""

    client_secret = "s3cret-of-the-console"

    def __init__(self):
        self.rsa, self.ec, self.other_key = rsa_key(), ec_key(), rsa_key()
        self.published = [jwk(self.rsa, "rsa-1"), jwk(self.ec, "ec-1")]
        self.asked, self.codes, self.token_requests = [], {}, []
        self.login_claims = {}
        self.bad_nonce = self.bad_signature = False
        self.cert, key, self.thumbprint = self_signed()
        cert = self.cert
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.idp = self
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.host = "127.0.0.1:%d" % self.server.server_address[1]
        self.url = "https://" + self.host
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def discovery(self):
        return {
            "issuer": self.url,
            "jwks_uri": self.url + "/jwks",
            "authorization_endpoint": self.url + "/authorize",
            "token_endpoint": self.url + "/token",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        }

    def claims(self, aud="client-1", sub="alice", lifetime=600, **extra):
        now = int(time.time())
        c = {"iss": self.url, "sub": sub, "aud": aud, "iat": now, "exp": now + lifetime}
        c.update({k: v for k, v in extra.items() if v is not None})
        return c

    def token(self, key=None, kid="rsa-1", **claims):
        return sign(key or self.rsa, self.claims(**claims), kid)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def idp():
    """A module's identity provider (import this fixture by name)."""
    i = IdP()
    yield i
    i.close()


def web_trust(provider_arn, conditions):
    """A trust policy (JSON text) letting tokens of provider_arn that meet conditions
    (StringEquals on condition keys) assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": conditions},
                }
            ],
        }
    )
