// Package cascade dials Cascade's gRPC services (the orchestrator, the router, ...) the way
// cascadectl does: plaintext by default, TLS or mutual TLS on request, and an API key sent
// as `authorization: Bearer KEY` on every call.
//
//	conn, err := cascade.Dial("localhost:50051", cascade.Options{})
//	client := cascadev1.NewCascadeClient(conn)
package cascade

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// Options says how to reach a server. The zero value dials plaintext with no key.
type Options struct {
	// TLS, when set, dials over TLS with this configuration (see TLSConfig); nil is
	// plaintext.
	TLS *tls.Config
	// APIKey, when set, is sent on every call as `authorization: Bearer KEY`. Servers check
	// keys on their TLS ports only, and a key is never sent in the clear: it needs TLS.
	APIKey string
	// DialOptions are added after the options Dial makes (e.g. grpc.WithBlock()).
	DialOptions []grpc.DialOption
}

// TLSConfig builds a client TLS configuration: caFile is the PEM bundle of the CAs to trust
// ("" = the system's roots); certFile and keyFile, both set or both empty, are the client's
// certificate and key for mutual TLS; serverName, when set, is the name the server's
// certificate must carry (when the address does not carry it).
func TLSConfig(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	config := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("reading the CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
		config.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("mutual TLS needs both a certificate and its key")
	}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("reading the client certificate: %w", err)
		}
		config.Certificates = []tls.Certificate{pair}
	}
	return config, nil
}

// Dial opens a connection to target ("host:port" or any gRPC target name). gRPC connects
// lazily: a server that is down shows as UNAVAILABLE on the first call.
func Dial(target string, options Options) (*grpc.ClientConn, error) {
	var dialOptions []grpc.DialOption
	if options.TLS != nil {
		dialOptions = append(dialOptions,
			grpc.WithTransportCredentials(credentials.NewTLS(options.TLS)))
	} else {
		if options.APIKey != "" {
			return nil, errors.New("an API key needs TLS: it would otherwise be sent in the clear")
		}
		dialOptions = append(dialOptions, grpc.WithInsecure())
	}
	if options.APIKey != "" {
		dialOptions = append(dialOptions, grpc.WithPerRPCCredentials(apiKey(options.APIKey)))
	}
	dialOptions = append(dialOptions, options.DialOptions...)
	return grpc.Dial(target, dialOptions...)
}

// apiKey sends `authorization: Bearer KEY` on every call, over TLS only.
type apiKey string

func (key apiKey) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(key)}, nil
}

func (apiKey) RequireTransportSecurity() bool { return true }
