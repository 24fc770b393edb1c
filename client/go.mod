module github.com/simplexgo/client

go 1.26
