// Routes from 4 threads while another thread upserts routes over and over: no call may
// fail, and every decision must be one that the old or the new route set gives, never a
// mix (which a half-built or half-swapped index would produce).

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "services/router/lib/router.h"

namespace cascade::router {
namespace {

RouteSpec Route(const std::string& name, std::vector<std::string> utterances, RouteTarget target) {
  RouteSpec route;
  route.name = name;
  route.utterances = std::move(utterances);
  route.target = std::move(target);
  return route;
}

const RouteSpec kWeather =
    Route("weather", {"what's the weather tomorrow", "will it rain today", "is it sunny in Rome"},
          RouteTarget::StartTier("small"));
// The same route with another target and one more exemplar: different decisions.
const RouteSpec kWeatherLarge = Route("weather",
                                      {"what's the weather tomorrow", "will it rain today",
                                       "is it sunny in Rome", "weather forecast"},
                                      RouteTarget::FixedTier("large"));
const RouteSpec kBilling = Route("billing", {"pay my bill", "refund my card", "invoice overdue"},
                                 RouteTarget::FixedTier("large"));
const RouteSpec kSports =
    Route("sports", {"who won the match", "football scores"}, RouteTarget::None());

const std::vector<std::string> kQueries = {"will it rain tomorrow", "who won the football match",
                                           "refund my bill", "tell me a joke"};

struct Expected {
  std::string route;
  RouteTarget target;
  std::string matched_example;
  double score;
};

bool Matches(const Decision& decision, const Expected& expected) {
  return decision.route == expected.route && decision.target == expected.target &&
         decision.matched_example == expected.matched_example &&
         std::abs(decision.score - expected.score) < 1e-6;
}

TEST(RouterConcurrencyTest, EveryDecisionComesFromTheOldOrTheNewSet) {
  RouteSet initial;
  initial.routes = {kWeather, kBilling};
  // The updater alternates two upserts. After the first, the sets cycle between B and C.
  const std::vector<RouteSpec> upsert_b = {kWeatherLarge, kSports};
  const std::vector<RouteSpec> upsert_c = {kWeather};
  RouteSet set_b = initial, set_c;
  ASSERT_TRUE(UpsertRoutes(set_b, upsert_b).ok());
  set_c = set_b;
  ASSERT_TRUE(UpsertRoutes(set_c, upsert_c).ok());

  RouterOptions options;
  options.index.default_threshold = 0.35;  // So that some queries take the default route.
  // What each set decides for each query, from its own index built the same way.
  std::vector<std::vector<Expected>> expected(kQueries.size());
  for (const RouteSet* set : {&initial, &set_b, &set_c}) {
    absl::StatusOr<std::shared_ptr<const RouteIndex>> index =
        RouteIndex::Build(*set, options.index);
    ASSERT_TRUE(index.ok()) << index.status();
    for (size_t q = 0; q < kQueries.size(); ++q) {
      absl::StatusOr<Decision> decision = (*index)->Route(kQueries[q]);
      ASSERT_TRUE(decision.ok());
      expected[q].push_back(
          {decision->route, decision->target, decision->matched_example, decision->score});
    }
  }

  absl::StatusOr<std::unique_ptr<Router>> router = Router::Create(initial, options);
  ASSERT_TRUE(router.ok()) << router.status();
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, inconsistent{0}, decisions{0};
  std::vector<std::thread> routers;
  for (int t = 0; t < 4; ++t) {
    routers.emplace_back([&, t] {
      for (size_t i = t; !stop.load(); ++i) {
        const size_t q = i % kQueries.size();
        absl::StatusOr<Decision> decision = (*router)->Route(kQueries[q]);
        if (!decision.ok()) {
          ++errors;
          continue;
        }
        bool known = false;
        for (const Expected& candidate : expected[q])
          known = known || Matches(*decision, candidate);
        if (!known) ++inconsistent;
        ++decisions;
      }
    });
  }
  int upserts = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1000);
  while (std::chrono::steady_clock::now() < deadline || upserts < 4) {
    absl::StatusOr<size_t> result = (*router)->Upsert(upserts % 2 == 0 ? upsert_b : upsert_c);
    ASSERT_TRUE(result.ok()) << result.status();
    ++upserts;
  }
  stop = true;
  for (std::thread& thread : routers) thread.join();

  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(inconsistent.load(), 0);
  EXPECT_GT(decisions.load(), 0);
  EXPECT_GE(upserts, 4);
  EXPECT_EQ((*router)->List(), upserts % 2 == 0 ? set_c : set_b);
}

}  // namespace
}  // namespace cascade::router
