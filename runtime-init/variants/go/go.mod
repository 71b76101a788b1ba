module faaspool.dev/faas-init

go 1.19
