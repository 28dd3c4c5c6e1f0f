module checks

go 1.21
