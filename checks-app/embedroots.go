//go:build embedroots

// Built with -tags embedroots, the binary carries a CA bundle (ca-certificates.crt, copied beside
// this file by the Dockerfile) and uses it when the image has no root store of its own.
package main

import (
	"crypto/x509"
	_ "embed"
)

//go:embed ca-certificates.crt
var bundle []byte

func init() {
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(bundle)
	x509.SetFallbackRoots(roots)
}
