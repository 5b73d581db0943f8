module github.com/cascade/cascade/clients/go

go 1.19

// The versions the stubs are built and tested with: Debian 12's (see README.md).
// `go mod tidy` adds the remaining indirect requirements and go.sum.
require (
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)

// grpc-go's codec calls github.com/golang/protobuf: 1.4 or later, over the new API.
require github.com/golang/protobuf v1.5.2 // indirect
