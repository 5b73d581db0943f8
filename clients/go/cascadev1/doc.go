// Package cascadev1 holds the generated Go stubs of Cascade's gRPC contracts
// (proto/cascade/v1): the Cascade orchestrator, the Router, the Judge, the TierWorker and
// the InferenceService, with their messages.
//
// The *.pb.go files are generated, never committed: run `go generate ./...` from the
// module's root (or ../generate.sh) first.
package cascadev1

//go:generate ../generate.sh
