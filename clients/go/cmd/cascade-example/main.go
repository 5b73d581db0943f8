// Command cascade-example makes the four calls every Cascade client example makes
// (docs/clients.md) and prints one line per call:
//
//	completion tier=TIER tiers=T1,T2 cost_usd=X baseline_usd=Y savings_usd=Z text=JSON
//	stream chunks=N tier=TIER text=JSON
//	route route=NAME tier=TIER score=S
//	error code=STATUS_NAME message=JSON
//
// Usage:
//
//	cascade-example --orchestrator HOST:PORT --router HOST:PORT
//	    [--tls | --ca-file PEM] [--cert-file PEM --key-file PEM] [--server-name NAME]
//	    [--api-key-env VAR]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cascade/cascade/clients/go/cascade"
	cascadev1 "github.com/cascade/cascade/clients/go/cascadev1"
)

// One call's deadline.
const callTimeout = 60 * time.Second

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cascade-example:", err)
		os.Exit(1)
	}
}

func run() error {
	orchestrator := flag.String("orchestrator", "", "the orchestrator's gRPC address, HOST:PORT")
	router := flag.String("router", "", "the router's gRPC address, HOST:PORT")
	useTLS := flag.Bool("tls", false, "gRPC over TLS, trusting the system's roots")
	caFile := flag.String("ca-file", "", "gRPC over TLS, trusting this CA bundle (PEM)")
	certFile := flag.String("cert-file", "", "mutual TLS: the client's certificate (PEM)")
	keyFile := flag.String("key-file", "", "mutual TLS: the client's key (PEM)")
	serverName := flag.String("server-name", "", "the name the server's certificate carries")
	apiKeyEnv := flag.String("api-key-env", "",
		"send the key held in environment variable `VAR` as \"authorization: Bearer KEY\" (needs TLS)")
	flag.Parse()
	if *orchestrator == "" || *router == "" {
		flag.Usage()
		return errors.New("--orchestrator and --router are required")
	}

	var options cascade.Options
	if *useTLS || *caFile != "" || *certFile != "" || *keyFile != "" || *serverName != "" {
		config, err := cascade.TLSConfig(*caFile, *certFile, *keyFile, *serverName)
		if err != nil {
			return err
		}
		options.TLS = config
	}
	if *apiKeyEnv != "" {
		options.APIKey = os.Getenv(*apiKeyEnv)
		if options.APIKey == "" {
			return fmt.Errorf("--api-key-env names %s, which is not set", *apiKeyEnv)
		}
	}

	orchestratorConn, err := cascade.Dial(*orchestrator, options)
	if err != nil {
		return err
	}
	defer orchestratorConn.Close()
	routerConn, err := cascade.Dial(*router, options)
	if err != nil {
		return err
	}
	defer routerConn.Close()

	client := cascadev1.NewCascadeClient(orchestratorConn)
	if err := completion(client); err != nil {
		return fmt.Errorf("Complete: %w", err)
	}
	if err := stream(client); err != nil {
		return fmt.Errorf("StreamComplete: %w", err)
	}
	if err := route(cascadev1.NewRouterClient(routerConn)); err != nil {
		return fmt.Errorf("Route: %w", err)
	}
	return errorCall(client)
}

// request is one user message with greedy sampling.
func request(prompt string, maxTokens int32) *cascadev1.CascadeRequest {
	return &cascadev1.CascadeRequest{
		Messages: []*cascadev1.ChatMessage{{Role: "user", Content: prompt}},
		Params:   &cascadev1.GenerationParams{MaxTokens: maxTokens, Temperature: 0},
	}
}

func completion(client cascadev1.CascadeClient) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req := request("hello there", 16)
	req.Policy = "default"
	response, err := client.Complete(ctx, req)
	if err != nil {
		return err
	}
	tiers := make([]string, 0, len(response.GetSteps()))
	for _, step := range response.GetSteps() {
		tiers = append(tiers, step.GetTier())
	}
	fmt.Printf("completion tier=%s tiers=%s cost_usd=%s baseline_usd=%s savings_usd=%s text=%s\n",
		response.GetFinalTier(), strings.Join(tiers, ","), usd(response.GetCostPusd()),
		usd(response.GetBaselineCostPusd()), usd(response.GetSavingsPusd()),
		quote(response.GetAnswer()))
	return nil
}

func stream(client cascadev1.CascadeClient) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	chunks, err := client.StreamComplete(ctx, request("ROMEO:", 24))
	if err != nil {
		return err
	}
	var text strings.Builder
	var final *cascadev1.CascadeResponse
	count := 0
	for {
		chunk, err := chunks.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		count++
		text.WriteString(chunk.GetText())
		if chunk.GetFinal() != nil {
			final = chunk.GetFinal()
		}
	}
	if final == nil {
		return errors.New("the stream ended without its final chunk")
	}
	fmt.Printf("stream chunks=%d tier=%s text=%s\n", count, final.GetFinalTier(),
		quote(text.String()))
	return nil
}

func route(client cascadev1.RouterClient) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	decision, err := client.Route(ctx,
		&cascadev1.RouteRequest{Query: "write a python function that sorts a list"})
	if err != nil {
		return err
	}
	tier := decision.GetStartTier()
	if tier == "" {
		tier = decision.GetFixedTier()
	}
	fmt.Printf("route route=%s tier=%s score=%g\n", decision.GetRoute(), tier,
		decision.GetScore())
	return nil
}

// errorCall sends a request with no messages, which the orchestrator refuses.
func errorCall(client cascadev1.CascadeClient) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_, err := client.Complete(ctx, &cascadev1.CascadeRequest{
		Params: &cascadev1.GenerationParams{MaxTokens: 16, Temperature: 0},
	})
	if err == nil {
		return errors.New("Complete with no messages succeeded; expected an error")
	}
	answer, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("Complete with no messages: %w", err)
	}
	fmt.Printf("error code=%s message=%s\n", codeName(answer.Code()), quote(answer.Message()))
	return nil
}

// usd turns pico-USD into USD, to the pico-dollar.
func usd(pusd int64) string {
	return fmt.Sprintf("%.12f", float64(pusd)/1e12)
}

// quote writes text as a JSON string (no HTML escaping), all on one line.
func quote(text string) string {
	var buffer bytes.Buffer
	encoder := json.NewEncoder(&buffer)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(text); err != nil {
		return `""`
	}
	return strings.TrimRight(buffer.String(), "\n")
}

// codeName is a status code's canonical name (INVALID_ARGUMENT), as every gRPC language
// but Go spells it (Go's String() gives InvalidArgument).
func codeName(code codes.Code) string {
	names := map[codes.Code]string{
		codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
		codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
		codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
		codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
		codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
		codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
		codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE",
		codes.DataLoss: "DATA_LOSS", codes.Unauthenticated: "UNAUTHENTICATED",
	}
	if name, ok := names[code]; ok {
		return name
	}
	return fmt.Sprintf("CODE_%d", uint32(code))
}
