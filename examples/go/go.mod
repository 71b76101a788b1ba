module faas-pool/examples/go

go 1.19
