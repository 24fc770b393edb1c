package certs

// SHA-256 of the CA certificates TestIssueDeterministic issues (checked
// with `openssl x509 -text` and `openssl verify`; leaf chains issued the
// same way pass `openssl verify -purpose sslserver`).
const (
	issuedEd25519CA = "2c898bf0040fc8ce587e29a2d42752b64a8a43976f5e3c344e7b2e95f9602d89"
	issuedEd448CA   = "a56810421c555436c31715f62f1535fc157346a200c615b065ca0ac8aec6cbf4"
)
