package crypto

import (
	"encoding/hex"
	"testing"
)

// Vectors shared by the tests of this package. Unless a comment says
// otherwise they come from testdata/gen_vectors.py, an independent Python
// re-implementation of the reference's cryptonite XSalsa20 cascade
// [MC xSalsa20], with inputs taken from the reference's own cross-language
// tests (tests/XFTPWebTests.hs tsSecretboxTests, tsClientTests), where the
// Haskell output is checked against xftp-web's TypeScript.

func seq(from, to int) []byte {
	b := make([]byte, 0, to-from+1)
	for i := from; i <= to; i++ {
		b = append(b, byte(i))
	}
	return b
}

func fill(n int, c byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func key32(b []byte) (k [KeySize]byte) {
	copy(k[:], b)
	return k
}

func nonce24(b []byte) (n [NonceSize]byte) {
	copy(n[:], b)
	return n
}

const (
	// naclBoxKAT: crypto_box of 64 bytes of 3 with nonce 24×4 from the key
	// pair of 32×2 to the public key of 32×1, generated with NaCl's C code
	// (golang.org/x/crypto/nacl/box TestBox).
	naclBoxKAT = "78ea30b19d2341ebbdba54180f821eec265cf86312549bea8a37652a8bb94f07b78a73ed1708085e6ddd0e943bbdeb8755079a37eb31d86163ce241164a47629c0539f330b4914cd135b3855bc2a2dfc"

	// sbPadded256: sbEncrypt key=[1..32] nonce=[1..24] "hello NaCl
	// secretbox" paddedLen 256 (XFTPWebTests "cbEncrypt matches Haskell
	// sbEncrypt_").
	sbPadded256 = "bc861d7776bd7b5ef059d8b5b415d38ad890960a28c657199bb296d55c36d0df7d9344af9014c6e672553847694f734f82358c0b2b8cd15c9655896bdf4e6b294112299991219760eda29c6d73bccac234c9239ee9e0759b4e7b1d76543be0cc41b340db7ebae098319cfd69128614c46f5d903c8d947d70683a213d9df1114a19cc41f86cc9e1e0b42a8106fb44dacabf711f3348ac92c022f3326a0eb710111b63a9463feda452f4dd248b8acc71ee425c93eeaefda0f6ba958b5fb428f18315cf0f33296e1ba116d5ab9960375e463c29b7a9b45f20cfccd83e424c981873d0dd5cf6159c6d0f4600d2978ede9b673e69dedf5192185f2096c9ee298856ae091fcdded315a1ae5e607d38b441a581"

	// sbNoPad: sbEncryptNoPad of the same message, same key and nonce.
	sbNoPad = "fdf7cd4487f059fdb86a6c017c1f3099b0e192032b8a765896bff5ca1926c7d97b945fb5"

	// tailTagVec: sbEncryptTailTagNoPad key=[1..32] nonce=[1..24]
	// "hello streaming": ciphertext then tag [MCL].
	tailTagVec = "b0e192032b8a4b4da7b6b4d4152bd2d4f8c8eb66a68ca799b39982c8a71fc6"

	// tailTag1000SHA256: SHA-256 of the tail-tag encryption of the 1000
	// bytes i%251 under the same key and nonce.
	tailTag1000SHA256 = "d1d5b3de15fe946df44bb2cf08796728349ab434513e61374b6c55174a722b6d"
)

const (
	// Key pairs of tests/XFTPWebTests.hs tsClientTests: private keys
	// [1..32] and [33..64]; public halves from python3-cryptography.
	authPubA = "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c"
	authPubB = "5869aff450549732cbaaed5e5df9b30a6da31cb0e5742bad5ad4a1a768f1a67b"

	// authVec: cbAuthenticate pubA privB nonce=[0..23] "hello world
	// authenticator test" (XFTPWebTests "cbAuthenticate matches Haskell
	// output").
	authVec = "c15c26dfac0e465f855a9aa38179e34fd6095e7cdbeb3e29df8717b3bce03444fa93651c1c77b88135f95046e03128fb319695476e71a6db95affe783f5522b60e21d49b077a6f1a56ccbad398f45a4f"

	// authShortCorr: the same keys, corrId "corr" (zero-padded nonce),
	// authorized "authorized".
	authShortCorr = "14847ff18b1eeb01c1c0ed6d1278c80e7841e98fe1762f51efbfa4ce40bb792c5facee0d54c0de791516ed8e067beb57f8fa2b51871928793eff6a020d65613b62edcad5afa461a1e40918557cf2b826"
)

// Block-encryption chain vectors [MC sbcInit, sbcHkdf]: sessionId [0..31],
// secret = X25519 of the authenticator key pairs above (testdata/gen_vectors.py,
// HKDF from python3-cryptography).
const (
	sbcCK1 = "e326474e7be62774a04ee9afa86b92367d42c3af03b81590dccf350260741005"
	sbcCK2 = "15964caf571ac1a04bc1324b37479a46e68773351d0e71ac9a75255d2f48d6f2"
)

// sbcSteps: key, nonce and the new chain key of the first two steps of
// each chain.
var sbcSteps = map[string][2][3]string{
	"ck1": {
		{"bc6cc4ce6d6113c02f16918761564286901088537015ee6578e9c2900c6ebe45", "e1c3360d9ac0e3980d6c8d3dd1c9b2d49f504722f513627b", "afc281b11b3ea7205417e8ee283d36bffb3f3c5f2f4ce6e67692b2ba00984ec4"},
		{"3d03092b55bb8248277af491e517256df541060b8eaa35665bacbe7799010b26", "a143920dc48c06f53c2227bed714bd76d7679cc53cb9b2d7", "999117d2ac9f936a5891199f349ff9ee1aeb781a0c35a272b4746982f44bdcd3"},
	},
	"ck2": {
		{"8026c4bcabc1a2e458ded3e0e310ed30277e85e96f16d09cb04981bdb61d506f", "d8841a9942e0df4e23f325579d80ee4625ac7212dd701c93", "bd9c37dd80428130473e8c525f2e8ea6efed8c477f23d7f09aff641e79b678b6"},
		{"dc106ac6a66d5644eac39abde61c0403b4c29109a44090c448641d1f3a2902f3", "9b10a382ce4046652da7710af84414a354c2bc30ce93147b", "5df3bdf809837074e024f702ee41d383d41c8a89a40415784972da7604d18972"},
	},
}

// sbcBlock0: the first ck1 block of "hello block" at 16384 bytes: its
// SHA-256 and first 32 bytes.
const (
	sbcBlock0SHA256 = "1bdc28541a783f199980106c36c9987a2b3e0a5ad19f4f48561eec319d246207"
	sbcBlock0Head   = "abedf9c345bc30fbeae61ab9ca09819439eae76bad317b089e2bdaae295a4242"
)

// signedKeyDER vectors [CONFORMANCE-NOTES §2.6]: the X25519 public key of
// private key [1..32] (authPubA) signed with the RFC 8032 test keys
// (Ed25519 TEST 1 and Ed448 "Blank"); Python's cryptography signed the
// wrapped SPKI (testdata/gen_vectors.py). Both schemes are deterministic.
const (
	rfc8032Ed25519Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
	rfc8032Ed25519Pub  = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
	rfc8032Ed448Seed   = "6c82a562cb808d10d632be89c8513ebf6c929f34ddfa8c9f63c9960ef6e348a3528c8a3fcc2f044e39a3fc5b94492f8f032e7549a20098f95b"
	rfc8032Ed448Pub    = "5fd7449b59b461fd2ce787ec616ad46a1da1342485a70e1f8a0ea75d80e96778edf124769b46c7061bd6783df1e50f6cd1fa1abeafe8256180"

	signedKeyEd25519 = "3078302c302a300506032b656e03210007a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c300506032b6570034100903be86fa220e145e9128fb8490e9ad3f28052f24d152994d1b77471ea026b9a230cbfa1e8cf9b2415bd7322464ded749fccaffb23d3f41493b4584e6f129907"
	signedKeyEd448   = "3081aa302c302a300506032b656e03210007a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c300506032b65710373001a26bc6fc80a1bb6afdd8d61acc0b0ed59a942c6a4663d2289346f5b683904ed5f87375bf002175278a4753c8f8841e573b9131f4212139100adcc8e32a0a6e0a355e340422327c4afe37b8aa8ae13d4acb49ac9de17e60f8271b9da2325c32e01e38b762dda11fb413774cc588568310f00"
)
