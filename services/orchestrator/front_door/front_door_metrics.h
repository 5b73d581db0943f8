#pragma once

// The front door's series of the metrics catalogue (docs/architecture.md): requests by
// policy and HTTP status, time to the first byte and (streamed) to the first token, the
// requests in flight, and the requests refused before they reached a handler, by reason.
// Labels stay bounded: `policy` is a configured policy's name, "-" when the request named
// none that exists or could not be read.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace cascade {

class FrontDoorMetrics {
 public:
  // Reasons a request is refused before the cascade: every one is exported from the start.
  static constexpr const char* kRejectReasons[] = {
      "unauthorized",   "max_connections",  "max_concurrent_requests",
      "body_too_large", "header_too_large", "malformed",
      "read_timeout"};

  // `registry` null: the series are kept in a registry of the door's own (not exported).
  explicit FrontDoorMetrics(prometheus::Registry* registry);

  void RecordRequest(const std::string& policy, int http_status);
  void RecordFirstByte(const std::string& policy, double seconds);
  void RecordFirstToken(const std::string& policy, double seconds);
  void RecordRejected(const std::string& reason);
  prometheus::Gauge& in_flight() { return *in_flight_; }

 private:
  std::shared_ptr<prometheus::Registry> own_registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* first_byte_;
  prometheus::Family<prometheus::Histogram>* first_token_;
  prometheus::Family<prometheus::Counter>* rejected_;
  prometheus::Gauge* in_flight_;
};

}  // namespace cascade
