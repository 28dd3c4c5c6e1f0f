module scratch

go 1.17
