// The inference backend against an in-process fake InferenceService on loopback.

#include "services/tier_worker/inference_backend.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/http/testing/fake_clock.h"
#include "tests/support/poll.h"

namespace cascade::tier_worker {
namespace {

using cascade::v1::CompleteChunk;
using cascade::v1::CompleteRequest;
using cascade::v1::GenerateChunk;
using cascade::v1::GenerateRequest;
using ::testing::HasSubstr;

class FakeInference final : public cascade::v1::InferenceService::Service {
 public:
  grpc::Status Generate(grpc::ServerContext* context, const GenerateRequest* request,
                        grpc::ServerWriter<GenerateChunk>* writer) override {
    int call;
    {
      absl::MutexLock lock(&mu_);
      call = calls_++;
      requests_.push_back(*request);
      auto id = context->client_metadata().find("x-request-id");
      if (id != context->client_metadata().end()) {
        request_ids_.emplace_back(id->second.data(), id->second.size());
      }
      had_deadline_ = context->deadline() != std::chrono::system_clock::time_point::max();
    }
    return script(call, context, writer);
  }

  std::function<grpc::Status(int call, grpc::ServerContext*, grpc::ServerWriter<GenerateChunk>*)>
      script;
  absl::Mutex mu_;
  int calls_ = 0;
  std::vector<GenerateRequest> requests_;
  std::vector<std::string> request_ids_;
  bool had_deadline_ = false;
  bool saw_cancel_ = false;
};

// Two tokens with logprobs, then the final chunk.
grpc::Status Answer(grpc::ServerWriter<GenerateChunk>* writer) {
  for (const char* piece : {"to ", "be"}) {
    GenerateChunk chunk;
    chunk.set_text(piece);
    chunk.add_token_ids(1);
    auto* logprob = chunk.add_logprobs();
    logprob->set_token(piece);
    logprob->set_logprob(-0.25);
    logprob->set_token_id(1);
    writer->Write(chunk);
  }
  GenerateChunk last;
  last.set_finish_reason(cascade::v1::FINISH_REASON_LENGTH);
  last.mutable_usage()->set_prompt_tokens(7);
  last.mutable_usage()->set_completion_tokens(2);
  last.mutable_speculation()->set_rounds(1);
  last.mutable_speculation()->set_accepted_tokens(1);
  writer->Write(last);
  return grpc::Status::OK;
}

class Sink final : public DeltaSink {
 public:
  bool OnDelta(const CompleteChunk& delta) override {
    text += delta.text();
    return true;
  }
  std::string text;
};

class InferenceBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    InferenceBackendOptions options;
    options.channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                          grpc::InsecureChannelCredentials());
    options.model = "bard";
    options.default_speculation.set_mode(cascade::v1::Speculation::NGRAM);
    options.clock = &clock_;
    options.random = &random_;
    backend_ = std::make_unique<InferenceBackend>(options);
  }
  void TearDown() override {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  }

  CallContext Context() {
    CallContext context;
    context.request_id = "req-inference";
    context.deadline = absl::Now() + absl::Seconds(20);
    context.cancel = &cancel_;
    return context;
  }

  FakeInference fake_;
  std::unique_ptr<grpc::Server> server_;
  http::testing::FakeClock clock_;
  http::testing::FixedRandom random_{{0.0}};
  CancellationToken cancel_;
  std::unique_ptr<InferenceBackend> backend_;
};

CompleteRequest Prompt() {
  CompleteRequest request;
  auto* message = request.add_messages();
  message->set_role("user");
  message->set_content("ROMEO:");
  request.mutable_params()->set_logprobs(true);
  return request;
}

TEST_F(InferenceBackendTest, StreamsAndReturnsUsageLogprobsAndSpeculation) {
  fake_.script = [](int, grpc::ServerContext*, grpc::ServerWriter<GenerateChunk>* writer) {
    return Answer(writer);
  };
  Sink sink;
  auto response = backend_->Complete(Prompt(), Context(), &sink);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(sink.text, "to be");
  EXPECT_EQ(response->text(), "to be");
  EXPECT_EQ(response->logprobs_size(), 2);
  EXPECT_EQ(response->logprobs(0).token_id(), 1);
  EXPECT_EQ(response->finish_reason(), cascade::v1::FINISH_REASON_LENGTH);
  EXPECT_EQ(response->usage().prompt_tokens(), 7);
  EXPECT_EQ(response->speculation().accepted_tokens(), 1);
  EXPECT_EQ(response->upstream_model(), "bard");

  absl::MutexLock lock(&fake_.mu_);
  ASSERT_EQ(fake_.requests_.size(), 1u);
  EXPECT_EQ(fake_.requests_[0].model(), "bard");
  EXPECT_EQ(fake_.requests_[0].messages().messages(0).content(), "ROMEO:");
  EXPECT_TRUE(fake_.requests_[0].params().logprobs());
  // The request named no speculation: the tier's default applies.
  EXPECT_EQ(fake_.requests_[0].speculation().mode(), cascade::v1::Speculation::NGRAM);
  EXPECT_EQ(fake_.request_ids_, std::vector<std::string>{"req-inference"});
  EXPECT_TRUE(fake_.had_deadline_);
}

TEST_F(InferenceBackendTest, RequestSpeculationPassesThrough) {
  fake_.script = [](int, grpc::ServerContext*, grpc::ServerWriter<GenerateChunk>* writer) {
    return Answer(writer);
  };
  CompleteRequest request = Prompt();
  request.mutable_speculation()->set_mode(cascade::v1::Speculation::DRAFT_MODEL);
  request.mutable_speculation()->set_max_draft_tokens(4);
  ASSERT_TRUE(backend_->Complete(request, Context(), nullptr).ok());
  absl::MutexLock lock(&fake_.mu_);
  EXPECT_EQ(fake_.requests_[0].speculation().mode(), cascade::v1::Speculation::DRAFT_MODEL);
  EXPECT_EQ(fake_.requests_[0].speculation().max_draft_tokens(), 4);
}

TEST_F(InferenceBackendTest, QueueFullBeforeAnyTokenIsRetried) {
  fake_.script = [](int call, grpc::ServerContext*, grpc::ServerWriter<GenerateChunk>* writer) {
    if (call == 0) return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "queue full");
    return Answer(writer);
  };
  ASSERT_TRUE(backend_->Complete(Prompt(), Context(), nullptr).ok());
  EXPECT_EQ(clock_.sleeps().size(), 1u);
}

TEST_F(InferenceBackendTest, ErrorsKeepTheirCodeAndFailuresMidStreamAreNotRetried) {
  fake_.script = [](int, grpc::ServerContext*, grpc::ServerWriter<GenerateChunk>* writer) {
    GenerateChunk chunk;
    chunk.set_text("partial");
    writer->Write(chunk);
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "engine died");
  };
  Sink sink;
  auto response = backend_->Complete(Prompt(), Context(), &sink);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("engine died"));
  absl::MutexLock lock(&fake_.mu_);
  EXPECT_EQ(fake_.calls_, 1);
}

TEST_F(InferenceBackendTest, NotFoundIsNotRetried) {
  fake_.script = [](int, grpc::ServerContext*, grpc::ServerWriter<GenerateChunk>*) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no model 'bard'");
  };
  EXPECT_EQ(backend_->Complete(Prompt(), Context(), nullptr).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(InferenceBackendTest, CancellationCancelsTheDownstreamCall) {
  fake_.script = [this](int, grpc::ServerContext* context, grpc::ServerWriter<GenerateChunk>*) {
    cascade::testing::PollUntil([context] { return context->IsCancelled(); },
                                std::chrono::seconds(20));
    absl::MutexLock lock(&fake_.mu_);
    fake_.saw_cancel_ = context->IsCancelled();
    return grpc::Status::OK;
  };
  std::thread canceller([this] {
    cascade::testing::PollUntil(
        [this] {
          absl::MutexLock lock(&fake_.mu_);
          return fake_.calls_ > 0;
        },
        std::chrono::seconds(10));
    cancel_.Cancel();
  });
  auto response = backend_->Complete(Prompt(), Context(), nullptr);
  canceller.join();
  EXPECT_EQ(response.status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(cascade::testing::PollUntil(
      [this] {
        absl::MutexLock lock(&fake_.mu_);
        return fake_.saw_cancel_;
      },
      std::chrono::seconds(10)));
}

}  // namespace
}  // namespace cascade::tier_worker
