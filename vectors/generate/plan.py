"""Choose the INPUTS of the known-answer vectors; generate.js computes every expected value.

Deterministic from SEED. Seeded random cases, plus targeted cases found by searching
seeds for the encoding edges that break clients (top bit set, leading zero bytes,
odd-length hex, negative SALT). The search uses srp_device only to *select* inputs;
no value it computes is written out.

    python vectors/generate/plan.py > vectors/generate/plan.json
"""

from __future__ import annotations

import json
import random
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from srp_device import _srp
from srp_device._encoding import pad
from srp_device.modexp import N, get_backend

SEED = "srp-device vectors v1"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "sa-east-1", "il-central-1"]
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
try:
    BACKEND = get_backend("gmpy2-table")
except Exception:
    BACKEND = get_backend("auto")


def device_key(rng: random.Random) -> str:
    return f"{rng.choice(REGIONS)}_{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def group_key(rng: random.Random) -> str:
    return "-" + "".join(rng.choice(B64) for _ in range(rng.choice([8, 9, 9, 9, 12])))


def hexbytes(rng: random.Random, n: int) -> str:
    return rng.getrandbits(8 * n).to_bytes(n, "big").hex()


def device_inputs(rng: random.Random) -> dict[str, str]:
    return {
        "device_key": device_key(rng),
        "device_group_key": group_key(rng),
        "password_random_hex": hexbytes(rng, 40),
        "salt_random_hex": hexbytes(rng, 16),
    }


def verifier_of(d: dict[str, str], *, signed_salt: bool = False) -> int:
    import base64

    salt = int.from_bytes(bytes.fromhex(d["salt_random_hex"]), "big", signed=signed_salt)
    pw = base64.b64encode(bytes.fromhex(d["password_random_hex"])).decode()
    x = _srp.compute_x(salt=salt, pool=d["device_group_key"], identity=d["device_key"], password=pw)
    return BACKEND.powg(x)


def plen(n: int) -> int:
    return len(pad(n))


def search(rng: random.Random, make, test, limit: int = 2_000_000):
    for _ in range(limit):
        case = make(rng)
        if test(case):
            return case
    raise RuntimeError("search limit reached")


def verifier_plan(rng: random.Random) -> list[dict]:
    cases = [dict(device_inputs(rng), id=f"seeded-{i:03d}") for i in range(300)]
    targets = {
        "salt-top-bit-set": lambda d: int(d["salt_random_hex"][:2], 16) >= 0x80,
        "salt-leading-zero-byte": lambda d: d["salt_random_hex"][:2] == "00" and d["salt_random_hex"][2] in "1234567",
        "salt-zero-byte-then-top-bit": lambda d: (
            d["salt_random_hex"][:2] == "00" and d["salt_random_hex"][2] in "89abcdef"
        ),
        "verifier-top-bit-set": lambda d: plen(verifier_of(d)) == 385,
        "verifier-one-leading-zero-byte": lambda d: plen(verifier_of(d)) == 383,
        "verifier-two-leading-zero-bytes": lambda d: plen(verifier_of(d)) == 382,
        "verifier-odd-length-hex": lambda d: len(format(verifier_of(d), "x")) % 2 == 1,
        "salt-odd-length-hex": lambda d: len(format(int(d["salt_random_hex"], 16), "x")) % 2 == 1,
    }
    for name, test in targets.items():
        cases.append(dict(search(rng, device_inputs, test), id=name))
    return cases


def auth_inputs(rng: random.Random) -> dict[str, str]:
    d = device_inputs(rng)
    d.update(
        username=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        a_random_hex=hexbytes(rng, 128),
        b_hex=format(rng.getrandbits(256) or 1, "x"),
        secret_block_hex=hexbytes(rng, rng.choice([48, 64, 96, 1024])),
        now_ms=str(rng.randrange(1_500_000_000_000, 2_100_000_000_000)),
    )
    return d


def auth_values(d: dict[str, str], *, signed_salt: bool = False) -> dict[str, int]:
    v = verifier_of(d, signed_salt=signed_salt)
    a = int(d["a_random_hex"], 16)
    big_a = BACKEND.powg(a)
    big_b = _srp.compute_b_public(v=v, b=int(d["b_hex"], 16), backend=BACKEND)
    u = _srp.compute_u(big_a=big_a, big_b=big_b)
    return {"A": big_a, "B": big_b, "u": u, "v": v}


def s_of(d: dict[str, str]) -> int:
    import base64

    val = auth_values(d)
    salt = int(d["salt_random_hex"], 16)
    pw = base64.b64encode(bytes.fromhex(d["password_random_hex"])).decode()
    x = _srp.compute_x(salt=salt, pool=d["device_group_key"], identity=d["device_key"], password=pw)
    return _srp.compute_s_client(big_b=val["B"], x=x, a=int(d["a_random_hex"], 16), u=val["u"], backend=BACKEND)


def auth_plan(rng: random.Random) -> list[dict]:
    cases = [dict(auth_inputs(rng), id=f"seeded-{i:03d}") for i in range(200)]
    targets = {
        "A-top-bit-set": lambda d: plen(auth_values(d)["A"]) == 385,
        "A-leading-zero-byte": lambda d: plen(auth_values(d)["A"]) == 383,
        "B-top-bit-set": lambda d: plen(auth_values(d)["B"]) == 385,
        "B-leading-zero-byte": lambda d: plen(auth_values(d)["B"]) == 383,
        "B-odd-length-hex": lambda d: len(format(auth_values(d)["B"], "x")) % 2 == 1,
        "u-top-bit-set": lambda d: plen(auth_values(d)["u"]) == 33,
        "u-leading-zero-byte": lambda d: plen(auth_values(d)["u"]) == 31,
        "S-top-bit-set": lambda d: plen(s_of(d)) == 385,
        "S-leading-zero-byte": lambda d: plen(s_of(d)) == 383,
        "SALT-odd-length-hex": lambda d: len(format(int(d["salt_random_hex"], 16), "x")) % 2 == 1,
    }
    for name, test in targets.items():
        cases.append(dict(search(rng, auth_inputs, test), id=name))
    # Negative SALT: raw salt bytes with the top bit set, stored as sent (non-canonical,
    # as .NET's client once sent them); a Java server reads them as a negative BigInteger.
    for i in range(3):
        case = search(rng, auth_inputs, lambda d: int(d["salt_random_hex"][:2], 16) >= 0x80)
        cases.append(dict(case, id=f"negative-SALT-{i}", salt_signed="true"))
    # Error cases: B = 0 mod N must be refused before anything is signed.
    for i, b in enumerate(["0", format(N, "x"), format(2 * N, "x")]):
        cases.append(dict(auth_inputs(rng), id=f"error-B-zero-mod-N-{i}", srp_b_override=b))
    return cases


def user_inputs(rng: random.Random) -> dict[str, str]:
    return {
        "user_pool_id": f"{rng.choice(REGIONS)}_{''.join(rng.choice(B64) for _ in range(9))}",
        "username": rng.choice(["alice", "bob@example.com", "+15555550100", "Zoë", "用户"]),
        "user_id_for_srp": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "password": "".join(rng.choice(B64 + "!#%&*") for _ in range(rng.randrange(8, 24))),
        "salt_random_hex": hexbytes(rng, 16),
        "a_random_hex": hexbytes(rng, 128),
        "b_hex": format(rng.getrandbits(256) or 1, "x"),
        "secret_block_hex": hexbytes(rng, rng.choice([48, 64, 1024])),
        "now_ms": str(rng.randrange(1_500_000_000_000, 2_100_000_000_000)),
    }


def main() -> None:
    rng = random.Random(SEED)
    plan = {
        "seed": SEED,
        "device_verifier": verifier_plan(rng),
        "device_auth": auth_plan(rng),
        "user_auth": [dict(user_inputs(rng), id=f"seeded-{i:03d}") for i in range(60)],
    }
    json.dump(plan, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
