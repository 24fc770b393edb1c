module github.com/simplexgo/services/ntf-server

go 1.26.0

require (
	github.com/sideshow/apns2 v0.25.0
	github.com/simplexgo/protocol v0.0.0
	go.etcd.io/bbolt v1.5.0
)

require (
	github.com/cloudflare/circl v1.6.5 // indirect
	github.com/golang-jwt/jwt/v4 v4.4.1 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

replace github.com/simplexgo/protocol => ../../protocol

replace github.com/simplexgo/proto => ../../proto
