module nproftest

go 1.19
