#!/usr/bin/env python3
"""Independent generator for the byte vectors pinned in the Go tests.

It re-implements, in plain Python, what the reference does
(simplexmq src/Simplex/Messaging/Crypto.hs xSalsa20, cryptoBox, sbcInit,
sbcHkdf, cbAuthenticate), following cryptonite's XSalsa initialize/derive
steps literally rather than the NaCl shortcut the Go code uses, so the two
implementations check each other. Needs python3-cryptography (X25519,
Ed25519, HKDF, Poly1305). Run: python3 testdata/gen_vectors.py
"""
import hashlib
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.poly1305 import Poly1305

SIGMA = b"expand 32-byte k"


def rotl(v, n):
    return ((v << n) | (v >> (32 - n))) & 0xFFFFFFFF


def doubleround10(x):
    x = list(x)
    for _ in range(10):
        for a, b, c, d in ((0, 4, 8, 12), (5, 9, 13, 1), (10, 14, 2, 6), (15, 3, 7, 11)):
            x[b] ^= rotl((x[a] + x[d]) & 0xFFFFFFFF, 7)
            x[c] ^= rotl((x[b] + x[a]) & 0xFFFFFFFF, 9)
            x[d] ^= rotl((x[c] + x[b]) & 0xFFFFFFFF, 13)
            x[a] ^= rotl((x[d] + x[c]) & 0xFFFFFFFF, 18)
        for a, b, c, d in ((0, 1, 2, 3), (5, 6, 7, 4), (10, 11, 8, 9), (15, 12, 13, 14)):
            x[b] ^= rotl((x[a] + x[d]) & 0xFFFFFFFF, 7)
            x[c] ^= rotl((x[b] + x[a]) & 0xFFFFFFFF, 9)
            x[d] ^= rotl((x[c] + x[b]) & 0xFFFFFFFF, 13)
            x[a] ^= rotl((x[d] + x[c]) & 0xFFFFFFFF, 18)
    return x


def state(key, n16):
    s = struct.unpack("<4I", SIGMA)
    k = struct.unpack("<8I", key)
    n = struct.unpack("<4I", n16)
    return [s[0], k[0], k[1], k[2], k[3], s[1], n[0], n[1], n[2], n[3], s[2], k[4], k[5], k[6], k[7], s[3]]


def hsalsa(key, n16):
    z = doubleround10(state(key, n16))
    return struct.pack("<8I", *(z[i] for i in (0, 5, 10, 15, 6, 7, 8, 9)))


def salsa_block(key, n8, ctr):
    st = state(key, n8 + struct.pack("<Q", ctr))
    z = doubleround10(st)
    return struct.pack("<16I", *((a + b) & 0xFFFFFFFF for a, b in zip(z, st)))


class CryptoniteXSalsa:
    """cryptonite Crypto.Cipher.XSalsa: initialize 20 key (zero16 ++ iv0); derive iv1."""

    def __init__(self, key, nonce):
        iv0, iv1 = nonce[:8], nonce[8:]
        init_nonce = bytes(16) + iv0
        k1 = hsalsa(key, init_nonce[:16])  # initialize: HSalsa over the first 16 nonce bytes
        salsa_nonce = init_nonce[16:24]  # = iv0
        # derive: HSalsa keyed by k1 over (current 8-byte nonce ‖ iv1[0:8]), new nonce iv1[8:16]
        self.key = hsalsa(k1, salsa_nonce + iv1[:8])
        self.n8 = iv1[8:16]
        self.ctr = 0
        self.buf = b""

    def generate(self, n):
        while len(self.buf) < n:
            self.buf += salsa_block(self.key, self.n8, self.ctr)
            self.ctr += 1
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def combine(self, msg):
        return bytes(a ^ b for a, b in zip(msg, self.generate(len(msg))))


def poly(key, msg):
    p = Poly1305(key)
    p.update(msg)
    return p.finalize()


def crypto_box(secret, nonce, msg):  # [MC cryptoBox]: tag ‖ ciphertext
    xs = CryptoniteXSalsa(secret, nonce)
    rs = xs.generate(32)
    c = xs.combine(msg)
    return poly(rs, c) + c


def tail_tag(secret, nonce, msg):  # [MCL sbEncryptTailTagNoPad]: ciphertext ‖ tag
    b = crypto_box(secret, nonce, msg)
    return b[16:] + b[:16]


def pad(msg, n):  # [MC pad]
    return struct.pack(">H", len(msg)) + msg + b"#" * (n - len(msg) - 2)


def hkdf(salt, ikm, info, n):  # [MC hkdf]: HKDF-SHA512
    return HKDF(algorithm=hashes.SHA512(), length=n, salt=salt, info=info).derive(ikm)


def x25519_dh(priv, pub):
    return x25519.X25519PrivateKey.from_private_bytes(priv).exchange(x25519.X25519PublicKey.from_public_bytes(pub))


def x25519_pub(priv):
    from cryptography.hazmat.primitives import serialization as s

    return x25519.X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)


def main():
    # 1. NaCl crypto_box known answer (x/crypto nacl/box TestBox, from NaCl C).
    p1, p2 = bytes([1] * 32), bytes([2] * 32)
    shared = x25519_dh(p2, x25519_pub(p1))
    print("nacl_box", crypto_box(shared, bytes([4] * 24), bytes([3] * 64)).hex())

    # 2. tests/XFTPWebTests.hs tsSecretboxTests inputs: key [1..32], nonce [1..24].
    key, nonce = bytes(range(1, 33)), bytes(range(1, 25))
    print("sb_padded_256", crypto_box(key, nonce, pad(b"hello NaCl secretbox", 256)).hex())
    print("sb_nopad", crypto_box(key, nonce, b"hello NaCl secretbox").hex())
    print("tail_tag", tail_tag(key, nonce, b"hello streaming").hex())
    big = bytes(i % 251 for i in range(1000))
    print("tail_tag_1000_sha256", hashlib.sha256(tail_tag(key, nonce, big)).hexdigest())

    # 3. tests/XFTPWebTests.hs tsClientTests cbAuthenticate inputs.
    priv_a, priv_b = bytes(range(1, 33)), bytes(range(33, 65))
    pub_a = x25519_pub(priv_a)
    auth = crypto_box(x25519_dh(priv_b, pub_a), bytes(range(24)), hashlib.sha512(b"hello world authenticator test").digest())
    print("pub_a", pub_a.hex())
    print("pub_b", x25519_pub(priv_b).hex())
    print("authenticator", auth.hex())
    # corrId shorter than 24 bytes: zero-padded nonce [MC cbNonce]
    auth2 = crypto_box(x25519_dh(priv_b, pub_a), b"corr" + bytes(20), hashlib.sha512(b"authorized").digest())
    print("authenticator_short_corr", auth2.hex())

    # 4. Block encryption chain [MC sbcInit, sbcHkdf] with sessionId [0..31].
    sess = bytes(range(32))
    secret = x25519_dh(priv_b, pub_a)
    init = hkdf(sess, secret, b"SimpleXSbChainInit", 64)
    ck1, ck2 = init[:32], init[32:]
    print("ck1", ck1.hex())
    print("ck2", ck2.hex())
    for name, ck in (("ck1", ck1), ("ck2", ck2)):
        for i in range(2):
            out = hkdf(b"", ck, b"SimpleXSbChain", 88)
            ck, sk, n = out[:32], out[32:64], out[64:88]
            print(f"{name}_step{i}", sk.hex(), n.hex(), ck.hex())
            if name == "ck1" and i == 0:
                blk = crypto_box(sk, n, pad(b"hello block", 16384 - 16))
                print("block0_sha256", len(blk), hashlib.sha256(blk).hexdigest(), blk[:32].hex())


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def signed_key_vectors():
    """signedKeyDER [MC SignedObject, x509 objectToSignedExact; CONFORMANCE-NOTES §2.6]."""
    from cryptography.hazmat.primitives.asymmetric import ed448, ed25519

    spki = bytes.fromhex("302a300506032b656e032100") + x25519_pub(bytes(range(1, 33)))
    obj = der(0x30, spki)  # the SPKI wrapped once more
    # RFC 8032 test keys (Ed25519 TEST 1, Ed448 "Blank").
    seeds = {
        0x70: (ed25519.Ed25519PrivateKey, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),
        0x71: (ed448.Ed448PrivateKey, "6c82a562cb808d10d632be89c8513ebf6c929f34ddfa8c9f63c9960ef6e348a3528c8a3fcc2f044e39a3fc5b94492f8f032e7549a20098f95b"),
    }
    for oid, (cls, seed) in seeds.items():
        sig = cls.from_private_bytes(bytes.fromhex(seed)).sign(obj)
        alg = der(0x30, der(0x06, bytes([0x2B, 0x65, oid])))
        print("signed_key", hex(oid), der(0x30, obj + alg + der(0x03, b"\x00" + sig)).hex())


main()
signed_key_vectors()
