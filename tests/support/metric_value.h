#pragma once

// The value of one Prometheus series in a registry, for tests that check what a component
// recorded: a counter's or gauge's value, a histogram's sample count.

#include <prometheus/registry.h>

#include <map>
#include <string>

namespace cascade::testing {

// The series `name` with exactly `labels`; -1 when there is none.
inline double MetricValue(prometheus::Registry& registry, const std::string& name,
                          const std::map<std::string, std::string>& labels) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& label : metric.label) have[label.name] = label.value;
      if (have != labels) continue;
      if (family.type == prometheus::MetricType::Counter) return metric.counter.value;
      if (family.type == prometheus::MetricType::Gauge) return metric.gauge.value;
      if (family.type == prometheus::MetricType::Histogram) {
        return static_cast<double>(metric.histogram.sample_count);
      }
    }
  }
  return -1;
}

}  // namespace cascade::testing
