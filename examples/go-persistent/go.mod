module faas-pool/examples/go-persistent

go 1.19

require faaspool.dev/sdk v0.0.0

replace faaspool.dev/sdk => ../../runtime-init/sdk/go
