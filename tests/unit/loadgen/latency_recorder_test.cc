#include "tools/loadgen/latency_recorder.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cascade::loadgen {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

std::vector<double> OneToHundred() {
  std::vector<double> values;
  for (int i = 1; i <= 100; ++i) values.push_back(i);
  return values;
}

TEST(QuantileTest, NearestRankOfSortedValues) {
  std::vector<double> values = OneToHundred();
  EXPECT_EQ(Quantile(values, 0.50), 50);
  EXPECT_EQ(Quantile(values, 0.99), 99);
  EXPECT_EQ(Quantile(values, 0.999), 100);
  EXPECT_EQ(Quantile(values, 1.0), 100);
  EXPECT_EQ(Quantile(values, 0.0), 1);
}

TEST(QuantileTest, NoValuesIsZeroAndOneValueIsEveryQuantile) {
  EXPECT_EQ(Quantile({}, 0.5), 0);
  EXPECT_EQ(Quantile({7.5}, 0.01), 7.5);
  EXPECT_EQ(Quantile({7.5}, 0.999), 7.5);
}

TEST(SummarizeTest, SortsAndReportsMeanAndMax) {
  std::vector<double> values = OneToHundred();
  std::reverse(values.begin(), values.end());
  LatencySummary summary = Summarize(values);
  EXPECT_EQ(summary.count, 100);
  EXPECT_EQ(summary.p50_ms, 50);
  EXPECT_EQ(summary.p90_ms, 90);
  EXPECT_EQ(summary.max_ms, 100);
  EXPECT_DOUBLE_EQ(summary.mean_ms, 50.5);
}

TEST(LatencyRecorderTest, KeepsSuccessAndErrorLatenciesApartAndCountsCodes) {
  LatencyRecorder recorder;
  recorder.Record("OK", true, 10);
  recorder.Record("OK", true, 20);
  recorder.Record("UNAVAILABLE", false, 1);
  LatencyRecorder::Snapshot snapshot = recorder.Take();
  EXPECT_EQ(snapshot.done, 3);
  EXPECT_EQ(snapshot.errors, 1);
  EXPECT_THAT(snapshot.codes, ElementsAre(Pair("OK", 2), Pair("UNAVAILABLE", 1)));
  EXPECT_THAT(snapshot.ok_latencies_ms, ElementsAre(10, 20));
  EXPECT_THAT(snapshot.error_latencies_ms, ElementsAre(1));
}

TEST(LatencyRecorderTest, DrainRecentReturnsOnlyWhatCameSinceTheLastDrain) {
  LatencyRecorder recorder;
  recorder.Record("OK", true, 5);
  EXPECT_THAT(recorder.DrainRecent(), ElementsAre(5));
  EXPECT_THAT(recorder.DrainRecent(), IsEmpty());
  recorder.Record("OK", true, 6);
  EXPECT_THAT(recorder.DrainRecent(), ElementsAre(6));
  EXPECT_EQ(recorder.Take().ok_latencies_ms.size(), 2u);
}

}  // namespace
}  // namespace cascade::loadgen
