module github.com/simplexgo/services/ntf-server

go 1.26
