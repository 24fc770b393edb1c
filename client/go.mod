module github.com/simplexgo/client

go 1.26.0

require (
	github.com/simplexgo/protocol v0.0.0
	go.etcd.io/bbolt v1.5.0
	golang.org/x/crypto v0.59.0
	golang.org/x/net v0.62.0
)

require (
	github.com/cloudflare/circl v1.6.5 // indirect
	github.com/skip2/go-qrcode v0.0.0-20200617195104-da1b6568686e // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/simplexgo/protocol => ../protocol

replace github.com/simplexgo/proto => ../proto
