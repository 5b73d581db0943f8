// A client's whole view of one Generate stream, for the tests of cascade-inference.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>
#include <vector>

#include "cascade/v1/inference.grpc.pb.h"

namespace cascade::testing {

struct Generation {
  grpc::Status status;
  std::string text;
  std::vector<int> tokens;
  std::vector<v1::TokenLogprob> logprobs;
  v1::GenerateChunk last;
  int chunks = 0;
};

// Sends `request` to the server at `address` and reads the stream to its end.
inline Generation GenerateOn(const std::string& address, const v1::GenerateRequest& request,
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(60000)) {
  auto stub = v1::InferenceService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  auto reader = stub->Generate(&context, request);
  Generation result;
  v1::GenerateChunk chunk;
  while (reader->Read(&chunk)) {
    ++result.chunks;
    result.text += chunk.text();
    result.tokens.insert(result.tokens.end(), chunk.token_ids().begin(), chunk.token_ids().end());
    result.logprobs.insert(result.logprobs.end(), chunk.logprobs().begin(), chunk.logprobs().end());
    result.last = chunk;
  }
  result.status = reader->Finish();
  return result;
}

}  // namespace cascade::testing
