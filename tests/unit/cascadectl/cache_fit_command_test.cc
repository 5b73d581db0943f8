// cascadectl cache fit on a fixture whose answer is known: per route, true pairs that are
// exact repeats and case changes, near-misses that change a number or a capitalised city
// (the guard refuses every one, so with the guard the route's threshold is the floor), and
// without a route, one change of modal verb (the guard cannot see it, so the overall
// threshold sits just above its similarity). The held-out report, the YAML snippet (read
// back as the policy's config), and the errors: a malformed line, no near-misses, usage.

#include "tools/cascadectl/cache_fit_command.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "cascade/v1/config.pb.h"
#include "common/config/yaml_to_json.h"
#include "services/cache/lib/cache_embedder.h"
#include "services/cache/lib/threshold_fit.h"
#include "services/router/testing/fake_embeddings_server.h"
#include "tools/cascadectl/cache_commands.h"

namespace cascade::cli {
namespace {

using ::testing::HasSubstr;

constexpr char kUnroutedA[] = "should i bring an umbrella to paris";
constexpr char kUnroutedB[] = "can i bring an umbrella to paris";

std::string Line(const std::string& a, const std::string& b, bool same, const std::string& route) {
  nlohmann::json json = {{"a", a}, {"b", b}, {"same", same}};
  if (!route.empty()) json["route"] = route;
  return json.dump() + "\n";
}

// weather and convert: 6 true pairs (3 repeats, 3 case changes) and 10 near-misses each;
// no route: 4 repeats and 10 copies of one change of modal verb.
std::string Fixture() {
  std::string text;
  const char* cities[][2] = {{"Paris", "London"},  {"Tokyo", "Berlin"}, {"Madrid", "Rome"},
                             {"Dublin", "Oslo"},   {"Lima", "Cairo"},   {"Boston", "Denver"},
                             {"Seattle", "Miami"}, {"Sydney", "Perth"}, {"Vienna", "Prague"},
                             {"Athens", "Lisbon"}};
  for (const char* city : {"Paris", "Tokyo", "Madrid"}) {
    const std::string query = absl::StrFormat("what's the weather in %s", city);
    text += Line(query, query, true, "weather");
    text += Line(absl::StrFormat("What's the weather in %s?", city),
                 absl::StrFormat("what's the weather in %s", absl::AsciiStrToLower(city)), true,
                 "weather");
  }
  for (const auto& pair : cities) {
    text += Line(absl::StrFormat("what's the weather in %s", pair[0]),
                 absl::StrFormat("what's the weather in %s", pair[1]), false, "weather");
  }
  for (int km : {5, 12, 42}) {
    const std::string query = absl::StrFormat("convert %d km to miles", km);
    text += Line(query, query, true, "convert");
    text += Line(absl::StrFormat("Convert %d KM to miles", km), query, true, "convert");
  }
  for (int km = 1; km <= 10; ++km) {
    text += Line(absl::StrFormat("convert %d km to miles", km),
                 absl::StrFormat("convert %d km to miles", km * 10 + 3), false, "convert");
  }
  for (const char* query : {"who made you", "what is your name", "tell me a joke", "hi"}) {
    text += Line(query, query, true, "");
  }
  for (int i = 0; i < 10; ++i) text += Line(kUnroutedA, kUnroutedB, false, "");
  return text;
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

int Fit(const std::vector<std::string>& args, std::string* out, std::string* err = nullptr) {
  std::vector<std::string> full = {"fit"};
  full.insert(full.end(), args.begin(), args.end());
  std::ostringstream out_stream, err_stream;
  const int code = RunCache(full, out_stream, err_stream);
  *out = out_stream.str();
  if (err != nullptr) *err = err_stream.str();
  return code;
}

// The similarity of the unrouted near-miss under the cache's embedder.
float UnroutedSimilarity() {
  auto embedder = cache::MakeCacheEmbedder();
  EXPECT_TRUE(embedder.ok());
  const std::vector<cache::TextPair> pair = {{kUnroutedA, kUnroutedB}};
  auto scores = cache::ScorePairs(pair, **embedder, cache::NearMissGuard());
  EXPECT_TRUE(scores.ok() && scores->size() == 1);
  EXPECT_FALSE((*scores)[0].verdict.refused());  // Only a modal differs.
  return (*scores)[0].similarity;
}

TEST(CacheFitCommandTest, FitsPerRouteOnTheFitPartAndReportsTheHeldOutPart) {
  const std::string pairs = WriteFile("cache_fit_pairs.jsonl", Fixture());
  const std::string snippet = ::testing::TempDir() + "cache_fit_snippet.yaml";
  std::string out, err;
  ASSERT_EQ(Fit({"--pairs", pairs, "--min-route-negatives", "7", "--out", snippet}, &out, &err), 0)
      << err;
  // 46 pairs; held out per route and label: round(0.3 n) = 2 + 3 (weather), 2 + 3 (convert),
  // 1 + 3 (no route).
  EXPECT_THAT(out, HasSubstr("46 labelled pairs"));
  EXPECT_THAT(out, HasSubstr("(16 true, 30 near-misses): 32 to fit, 14 held out"));
  // Every near-miss of a route is refused by the guard: its threshold is the floor.
  EXPECT_THAT(out, HasSubstr("weather                   0.5000 own"));
  EXPECT_THAT(out, HasSubstr("convert                   0.5000 own"));
  // Overall: the lowest grid value above the one near-miss the guard lets through.
  const float similarity = UnroutedSimilarity();
  ASSERT_GT(similarity, 0.5f);
  ASSERT_LT(similarity, 0.999f);
  const double overall = std::ceil((similarity + 1e-6) * 10'000 - 1e-9) / 10'000;
  EXPECT_THAT(out, HasSubstr(absl::StrFormat("(no route)                %.4f overall", overall)));
  EXPECT_THAT(out, HasSubstr("held out, each route at its threshold: hits 100.0% of 5 true "
                             "pairs, wrong hits 0.00% of 9 near-misses"));
  EXPECT_THAT(out, HasSubstr("a target of 0.5% allows none of them"));

  // The snippet, as written, is a policy's cache block.
  std::ifstream file(snippet);
  const std::string yaml((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_THAT(out, HasSubstr(yaml));
  auto document = YamlToJson(yaml, snippet);
  ASSERT_TRUE(document.ok()) << document.status();
  v1::AnswerCachePolicyConfig config;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(document->json.dump(), &config).ok())
      << yaml;
  EXPECT_NEAR(config.similarity_threshold(), overall, 1e-12);
  EXPECT_EQ(config.route_similarity_thresholds().size(), 2u);
  EXPECT_DOUBLE_EQ(config.route_similarity_thresholds().at("weather"), 0.5);
  EXPECT_DOUBLE_EQ(config.route_similarity_thresholds().at("convert"), 0.5);

  // Without the guard, the thresholds must exclude the number and city changes themselves.
  ASSERT_EQ(Fit({"--pairs", pairs, "--min-route-negatives", "7", "--guards", "off", "--json"}, &out,
                &err),
            0)
      << err;
  const nlohmann::json report = nlohmann::json::parse(out);
  EXPECT_FALSE(report["guards"].get<bool>());
  EXPECT_GT(report["route_similarity_thresholds"]["weather"].get<double>(), 0.5);
  EXPECT_GT(report["route_similarity_thresholds"]["convert"].get<double>(), 0.5);
  EXPECT_EQ(report["held_out"]["near_misses"], 9);
  EXPECT_EQ(report["held_out"]["wrong_hits"], 0);
  EXPECT_THAT(report["config_yaml"].get<std::string>(), HasSubstr("route_similarity_thresholds:"));

  // Too few near-misses for a route of its own: everything at the overall threshold.
  ASSERT_EQ(Fit({"--pairs", pairs, "--json"}, &out, &err), 0) << err;
  const nlohmann::json pooled = nlohmann::json::parse(out);
  EXPECT_TRUE(pooled["route_similarity_thresholds"].empty());
  for (const nlohmann::json& route : pooled["routes"]) {
    EXPECT_FALSE(route["own"].get<bool>()) << route.dump();
    EXPECT_NEAR(route["threshold"].get<double>(), overall, 1e-12);
  }
}

// --orchestrator-config: the pairs are scored by the endpoint of answer_cache.openai_embedder,
// as the orchestrator's lookups are; an endpoint that fails fails the fit, naming it.
TEST(CacheFitCommandTest, ScoresWithTheEmbedderTheOrchestratorsCacheUses) {
  auto embeddings = router::testing::FakeEmbeddingsServer::Start(64);
  const std::string pairs = WriteFile("cache_fit_endpoint_pairs.jsonl", Fixture());
  const std::string config =
      WriteFile("cache_fit_orchestrator.yaml",
                "answer_cache:\n  openai_embedder:\n    base_url: " + embeddings->base_url() +
                    "\n    model: embed-small\n    dimensions: 64\n");
  std::string out, err;
  ASSERT_EQ(Fit({"--pairs", pairs, "--orchestrator-config", config, "--json"}, &out, &err), 0)
      << err;
  EXPECT_GE(embeddings->calls(), 1);
  EXPECT_EQ(embeddings->requests().front()["model"], "embed-small");
  const nlohmann::json report = nlohmann::json::parse(out);
  EXPECT_EQ(report["embedder"], "openai embed-small at " + embeddings->base_url());
  EXPECT_EQ(report["held_out"]["true_pairs"], 5);

  ASSERT_EQ(Fit({"--pairs", pairs, "--orchestrator-config", config}, &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("the cache's embedder (openai embed-small at "));
  ASSERT_EQ(Fit({"--pairs", pairs}, &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("the cache's embedder (hashed)"));

  embeddings->FailNext(-1, 503);
  EXPECT_EQ(Fit({"--pairs", pairs, "--orchestrator-config", config}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("127.0.0.1"));
  EXPECT_EQ(Fit({"--pairs", pairs, "--orchestrator-config", "/nonexistent/orchestrator.yaml"}, &out,
                &err),
            1);
  EXPECT_THAT(err, HasSubstr("/nonexistent/orchestrator.yaml"));
}

TEST(CacheFitCommandTest, BadFilesAndFlagsAreNamed) {
  std::string out, err;
  const std::string malformed = WriteFile(
      "cache_fit_malformed.jsonl",
      Line("hi", "hi", true, "") + "\n" + R"({"a": "hi", "b": "hello", "same": "yes"})" + "\n");
  EXPECT_EQ(Fit({"--pairs", malformed}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr(malformed + ":3: \"same\" must be true or false"));
  const std::string not_json = WriteFile("cache_fit_not_json.jsonl", "{\"a\": \"hi\",\n");
  EXPECT_EQ(Fit({"--pairs", not_json}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr(":1: not a JSON object"));
  const std::string misspelt =
      WriteFile("cache_fit_misspelt.jsonl", R"({"a": "x", "b": "y", "same": true, "rout": "r"})");
  EXPECT_EQ(Fit({"--pairs", misspelt}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr(":1: unknown key \"rout\""));

  const std::string positives_only = WriteFile(
      "cache_fit_positives.jsonl", Line("hi", "hi", true, "") + Line("hey", "hey", true, ""));
  EXPECT_EQ(Fit({"--pairs", positives_only}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("has no near-misses (pairs with \"same\": false)"));
  const std::string negatives_only =
      WriteFile("cache_fit_negatives.jsonl", Line("5 km", "6 km", false, ""));
  EXPECT_EQ(Fit({"--pairs", negatives_only}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("has no true pairs"));
  EXPECT_EQ(Fit({"--pairs", ::testing::TempDir() + "no_such_pairs.jsonl"}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("cannot read"));

  EXPECT_EQ(Fit({}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("--pairs is required"));
  EXPECT_EQ(Fit({"--pairs", malformed, "--holdout", "1"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("--holdout must be"));
  EXPECT_EQ(Fit({"--pairs", malformed, "--guards", "maybe"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("--guards must be on or off"));
  EXPECT_EQ(Fit({"--pairs", malformed, "--max-wrong-hit-rate", "1"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("usage: cascadectl cache fit"));
  EXPECT_EQ(Fit({"--help"}, &out, &err), 0);
  EXPECT_THAT(out, HasSubstr("held-out part"));
}

}  // namespace
}  // namespace cascade::cli
