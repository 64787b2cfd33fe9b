"""The plain reference: Cognito device SRP as the common Python clients compute it.

Built-in pow, hashlib and hmac only, a 1024-bit ephemeral a, hex-string padding: the
shape of the code Python users run today. Every benchmark checks it gives the same
bytes as srp_device before timing either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 2


def pad_hex(n: int) -> str:
    h = format(n, "x")
    if len(h) % 2:
        h = "0" + h
    elif h[0] in "89abcdef":
        h = "00" + h
    return h


def hex_hash(h: str) -> str:
    return hashlib.sha256(bytes.fromhex(h)).hexdigest()


K = int(hex_hash(pad_hex(N) + pad_hex(G)), 16)


def device_verifier(group_key: str, device_key: str, password: str, salt_hex: str) -> tuple[str, str]:
    """(Salt, PasswordVerifier) as base64, like pycognito's generate_hash_device."""
    salt = pad_hex(int(salt_hex, 16))
    x = int(hex_hash(salt + hashlib.sha256(f"{group_key}{device_key}:{password}".encode()).hexdigest()), 16)
    v = pow(G, x, N)
    return base64.b64encode(bytes.fromhex(salt)).decode(), base64.b64encode(bytes.fromhex(pad_hex(v))).decode()


def device_password_verifier(
    a: int, group_key: str, device_key: str, password: str, srp_b: str, salt: str, secret_block: str, timestamp: str
) -> tuple[str, str]:
    """(SRP_A, PASSWORD_CLAIM_SIGNATURE): A, u, x, S, HKDF and the HMAC, with pow."""
    big_a = pow(G, a, N)
    big_b = int(srp_b, 16)
    u = int(hex_hash(pad_hex(big_a) + pad_hex(big_b)), 16)
    x = int(
        hex_hash(pad_hex(int(salt, 16)) + hashlib.sha256(f"{group_key}{device_key}:{password}".encode()).hexdigest()),
        16,
    )
    s = pow(big_b - K * pow(G, x, N), a + u * x, N)
    prk = hmac.new(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(s)), hashlib.sha256).digest()
    key = hmac.new(prk, b"Caldera Derived Key\x01", hashlib.sha256).digest()[:16]
    msg = group_key.encode() + device_key.encode() + base64.b64decode(secret_block) + timestamp.encode()
    return format(big_a, "x"), base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()
