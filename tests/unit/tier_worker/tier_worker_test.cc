#include "services/tier_worker/tier_worker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/synchronization/notification.h"
#include "services/tier_worker/testing/fake_backend.h"
#include "tests/support/metric_value.h"

namespace cascade::tier_worker {
namespace {

using cascade::testing::MetricValue;
using cascade::v1::CompleteRequest;
using cascade::v1::CompleteResponse;
using testing::FakeBackend;
using ::testing::HasSubstr;

CompleteRequest Hello() {
  CompleteRequest request;
  auto* message = request.add_messages();
  message->set_role("user");
  message->set_content("hello");
  return request;
}

CallContext RequestContext(const std::string& id) {
  CallContext context;
  context.request_id = id;
  return context;
}

TierWorkerOptions Concurrency(int max_concurrency) {
  TierWorkerOptions options;
  options.max_concurrency = max_concurrency;
  return options;
}

TierWorkerOptions Priced(ModelPrice price) {
  TierWorkerOptions options;
  options.price = price;
  return options;
}

class TierWorkerTest : public ::testing::Test {
 protected:
  TierWorker& Make(TierWorkerOptions options = {},
                   BackendInfo info = {"openai", "fake-model", true, true, false}) {
    auto backend = std::make_unique<FakeBackend>(info);
    backend_ = backend.get();
    backend_->response.set_text("hi there");
    backend_->response.mutable_usage()->set_prompt_tokens(1000);
    backend_->response.mutable_usage()->set_completion_tokens(200);
    backend_->response.set_upstream_model("fake-model-0613");
    if (options.price == ModelPrice{}) options.price = ModelPrice{150000, 600000};
    options.tier = "small";
    worker_ = std::make_unique<TierWorker>(options, std::move(backend), &registry_);
    return *worker_;
  }

  prometheus::Registry registry_;
  FakeBackend* backend_ = nullptr;
  std::unique_ptr<TierWorker> worker_;
};

TEST_F(TierWorkerTest, PricesTheAnswerAndRecordsMetrics) {
  TierWorker& worker = Make();
  auto response = worker.Complete(Hello(), RequestContext("r1"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->cost_pusd(), 1000 * 150000 + 200 * 600000);
  EXPECT_EQ(response->tier(), "small");
  EXPECT_EQ(response->upstream_model(), "fake-model-0613");
  EXPECT_GE(response->latency_seconds(), 0);

  std::map<std::string, std::string> series = {{"tier", "small"}, {"model", "fake-model"}};
  auto with = [&series](const std::string& name, const std::string& value) {
    auto labels = series;
    labels[name] = value;
    return labels;
  };
  EXPECT_EQ(MetricValue(registry_, "cascade_tier_requests_total", with("outcome", "ok")), 1);
  EXPECT_EQ(MetricValue(registry_, "cascade_tier_tokens_total", with("direction", "input")), 1000);
  EXPECT_EQ(MetricValue(registry_, "cascade_tier_tokens_total", with("direction", "output")), 200);
  EXPECT_DOUBLE_EQ(MetricValue(registry_, "cascade_tier_cost_usd_total", series), 0.00027);
  EXPECT_EQ(MetricValue(registry_, "cascade_tier_upstream_duration_seconds", series), 1);
  EXPECT_EQ(MetricValue(registry_, "cascade_tier_in_flight", series), 0);
}

TEST_F(TierWorkerTest, InvalidRequestNeverReachesTheBackend) {
  TierWorker& worker = Make();
  auto response = worker.Complete(CompleteRequest(), CallContext{});
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(backend_->calls(), 0);
  EXPECT_EQ(
      MetricValue(registry_, "cascade_tier_requests_total",
                  {{"tier", "small"}, {"model", "fake-model"}, {"outcome", "invalid_argument"}}),
      1);
}

TEST_F(TierWorkerTest, OverMaxConcurrencyIsResourceExhausted) {
  TierWorker& worker = Make(Concurrency(1));
  absl::Notification entered;
  absl::Notification release;
  backend_->handler = [&](const CompleteRequest&, const CallContext&,
                          DeltaSink*) -> absl::StatusOr<CompleteResponse> {
    entered.Notify();
    release.WaitForNotification();
    return CompleteResponse();
  };
  std::thread first([&worker] { EXPECT_TRUE(worker.Complete(Hello(), CallContext{}).ok()); });
  entered.WaitForNotification();
  EXPECT_EQ(MetricValue(registry_, "cascade_tier_in_flight",
                        {{"tier", "small"}, {"model", "fake-model"}}),
            1);
  auto second = worker.Complete(Hello(), CallContext{});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(second.status().message(), HasSubstr("max_concurrency"));
  release.Notify();
  first.join();
  backend_->handler = nullptr;
  EXPECT_TRUE(worker.Complete(Hello(), CallContext{}).ok());
}

TEST_F(TierWorkerTest, BackendErrorsPassThroughAndRetriesAreCounted) {
  TierWorker& worker = Make();
  backend_->handler = [](const CompleteRequest&, const CallContext& context,
                         DeltaSink*) -> absl::StatusOr<CompleteResponse> {
    context.on_retry(http::RetryReason::kRateLimited, absl::Milliseconds(5),
                     absl::ResourceExhaustedError("429"));
    return absl::UnauthenticatedError("upstream HTTP 401: bad key");
  };
  auto response = worker.Complete(Hello(), CallContext{});
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(MetricValue(registry_, "cascade_tier_retries_total",
                        {{"tier", "small"}, {"model", "fake-model"}, {"reason", "rate_limited"}}),
            1);
}

TEST_F(TierWorkerTest, DescribeReportsTierModelPricesAndBackend) {
  TierWorker& worker = Make(Priced(ModelPrice{1, 2}));
  auto description = worker.Describe();
  EXPECT_EQ(description.tier(), "small");
  EXPECT_EQ(description.model(), "fake-model");
  EXPECT_EQ(description.input_price_uusd_per_mtok(), 1);
  EXPECT_EQ(description.output_price_uusd_per_mtok(), 2);
  EXPECT_TRUE(description.supports_logprobs());
  EXPECT_EQ(description.backend(), "openai");
  EXPECT_TRUE(description.supports_tools());
  EXPECT_FALSE(description.supports_reasoning());
  EXPECT_FALSE(description.supports_images());
}

TEST_F(TierWorkerTest, ABackendWithoutImagesRefusesThemBeforeCallingIt) {
  TierWorker& worker = Make({}, BackendInfo{"openai", "text-only", true, true, false, false});
  CompleteRequest with_image = Hello();
  with_image.mutable_messages(0)->add_parts()->set_image_url("https://example.com/a.png");
  auto response = worker.Complete(with_image, RequestContext("r-image"));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(response.status().message(), HasSubstr("does not take images"));
  EXPECT_THAT(response.status().message(), HasSubstr("openai.supports_images: true"));
  EXPECT_EQ(backend_->calls(), 0);

  TierWorker& seeing = Make({}, BackendInfo{"openai", "vision", true, true, false, true});
  EXPECT_TRUE(seeing.Describe().supports_images());
}

TEST_F(TierWorkerTest, ABackendWithoutToolsRefusesThemBeforeCallingIt) {
  TierWorker& worker = Make({}, BackendInfo{"inference", "bard", true, false, false});
  EXPECT_FALSE(worker.Describe().supports_tools());
  CompleteRequest with_tools = Hello();
  with_tools.mutable_params()->add_tools()->set_name("get_weather");
  auto response = worker.Complete(with_tools, RequestContext("r-tools"));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(response.status().message(), ::testing::HasSubstr("does not take tools"));
  CompleteRequest tool_result = Hello();
  tool_result.mutable_messages(0)->set_role("tool");
  tool_result.mutable_messages(0)->set_tool_call_id("call_1");
  EXPECT_EQ(worker.Complete(tool_result, RequestContext("r-tool")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(backend_->calls(), 0);
  EXPECT_TRUE(worker.Complete(Hello(), RequestContext("r-plain")).ok());
}

}  // namespace
}  // namespace cascade::tier_worker
