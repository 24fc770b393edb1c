module github.com/simplexgo/services/xftp

go 1.26
