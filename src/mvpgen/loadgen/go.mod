module mvpgen.local/loadgen

go 1.22
