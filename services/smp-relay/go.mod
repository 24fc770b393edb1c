module github.com/simplexgo/services/smp-relay

go 1.26
