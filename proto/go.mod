module github.com/simplexgo/proto

go 1.26
