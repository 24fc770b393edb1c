module github.com/simplexgo/services/ntf-server

go 1.26

require (
	github.com/simplexgo/proto v0.0.0
	github.com/simplexgo/protocol v0.0.0
)

replace github.com/simplexgo/protocol => ../../protocol

replace github.com/simplexgo/proto => ../../proto
