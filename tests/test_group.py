from __future__ import annotations

import srp_device
from srp_device import _srp

from .vectors import load_vectors


def test_group_constants_match_published_values() -> None:
    (v,) = load_vectors("group_3072.json")
    assert srp_device.N == int(v["N_hex"], 16)
    assert srp_device.N.bit_length() == 3072
    assert srp_device.G == v["g"] == 2
    assert srp_device.K == int(v["k_hex"], 16)


def test_k_is_hash_of_java_encoded_n_and_g_not_rfc5054_pad() -> None:
    import hashlib

    n_bytes = srp_device.N.to_bytes(384, "big")
    rfc5054 = int.from_bytes(hashlib.sha256(n_bytes + (2).to_bytes(384, "big")).digest(), "big")
    assert srp_device.K != rfc5054
    assert _srp.compute_k() == srp_device.K
