module faaspool.dev/sdk

go 1.19
