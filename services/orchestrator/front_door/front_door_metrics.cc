#include "services/orchestrator/front_door/front_door_metrics.h"

namespace cascade {
namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
  return *buckets;
}

}  // namespace

FrontDoorMetrics::FrontDoorMetrics(prometheus::Registry* registry) {
  if (registry == nullptr) {
    own_registry_ = std::make_shared<prometheus::Registry>();
    registry = own_registry_.get();
  }
  requests_ = &prometheus::BuildCounter()
                   .Name("cascade_http_requests_total")
                   .Help("Front-door chat completion requests, by policy and HTTP status")
                   .Register(*registry);
  first_byte_ = &prometheus::BuildHistogram()
                     .Name("cascade_http_time_to_first_byte_seconds")
                     .Help("From a request's arrival to the first byte of its answer")
                     .Register(*registry);
  first_token_ = &prometheus::BuildHistogram()
                      .Name("cascade_http_time_to_first_token_seconds")
                      .Help("Streamed requests: from arrival to the first text or tool call sent")
                      .Register(*registry);
  rejected_ = &prometheus::BuildCounter()
                   .Name("cascade_http_rejected_total")
                   .Help("Requests refused before the cascade, by reason")
                   .Register(*registry);
  for (const char* reason : kRejectReasons) rejected_->Add({{"reason", reason}});
  in_flight_ = &prometheus::BuildGauge()
                    .Name("cascade_http_in_flight")
                    .Help("Front-door chat completion requests being served")
                    .Register(*registry)
                    .Add({});
}

void FrontDoorMetrics::RecordRequest(const std::string& policy, int http_status) {
  requests_->Add({{"policy", policy}, {"code", std::to_string(http_status)}}).Increment();
}

void FrontDoorMetrics::RecordFirstByte(const std::string& policy, double seconds) {
  first_byte_->Add({{"policy", policy}}, LatencyBuckets()).Observe(seconds);
}

void FrontDoorMetrics::RecordFirstToken(const std::string& policy, double seconds) {
  first_token_->Add({{"policy", policy}}, LatencyBuckets()).Observe(seconds);
}

void FrontDoorMetrics::RecordRejected(const std::string& reason) {
  rejected_->Add({{"reason", reason}}).Increment();
}

}  // namespace cascade
