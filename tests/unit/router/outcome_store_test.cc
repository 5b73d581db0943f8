// Outcome exemplars: bounded, deduplicated by key, persisted to a file that a restart and
// other replicas read back; bad input changes nothing.

#include "services/router/lib/outcome_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "services/router/lib/outcome_exemplars_file.h"

namespace cascade::router {
namespace {

using ::testing::HasSubstr;

OutcomeExemplar Exemplar(const std::string& query, double small) {
  return {query, "key-" + query, {{"small", small}, {"large", 1.0}}};
}

std::vector<OutcomeExemplar> Several(int count, const std::string& prefix = "question") {
  std::vector<OutcomeExemplar> exemplars;
  for (int i = 0; i < count; ++i) {
    exemplars.push_back(Exemplar(absl::StrCat(prefix, " about topic ", i), i % 2));
  }
  return exemplars;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          absl::StrCat("outcome_store_test_", ::getpid(), "_", name))
      .string();
}

TEST(OutcomeExemplarsTest, SameKeyMergesLabelsAndBecomesNewest) {
  OutcomeExemplars exemplars(10);
  exemplars.Add({Exemplar("a", 0), Exemplar("b", 1)});
  OutcomeExemplar again{"a", "key-a", {{"small", 1.0}, {"medium", 0.5}}};
  const OutcomeAddResult result = exemplars.Add({again});
  EXPECT_EQ(result.merged, 1u);
  EXPECT_EQ(result.added, 0u);
  ASSERT_EQ(exemplars.size(), 2u);
  const OutcomeExemplar& newest = exemplars.entries().back();
  EXPECT_EQ(newest.key, "key-a");
  EXPECT_EQ(newest.tier_quality.at("small"), 1.0);   // The newer label.
  EXPECT_EQ(newest.tier_quality.at("large"), 1.0);   // Kept from the old entry.
  EXPECT_EQ(newest.tier_quality.at("medium"), 0.5);  // Added.
}

TEST(OutcomeExemplarsTest, OldestAreEvictedPastTheLimit) {
  OutcomeExemplars exemplars(3);
  const OutcomeAddResult result = exemplars.Add(Several(5));
  EXPECT_EQ(result.added, 5u);
  EXPECT_EQ(result.evicted, 2u);
  ASSERT_EQ(exemplars.size(), 3u);
  EXPECT_EQ(exemplars.entries().front().query, "question about topic 2");
  // An evicted key comes back as new.
  EXPECT_EQ(exemplars.Add({Several(1)[0]}).added, 1u);
}

TEST(OutcomeStoreTest, EstimatesPerPolicy) {
  auto store = OutcomeStore::Create({});
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Add("chat", Several(10)).ok());
  EXPECT_TRUE((*store)->Estimate("chat", "question about topic 3").ok());
  auto missing = (*store)->Estimate("code", "question about topic 3");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("no outcome exemplars for policy 'code'"));
}

// List walks the snapshot it read while Add publishes new ones on another thread: each
// Add frees the snapshot before it, so a List that does not hold its own would read freed
// memory (AddressSanitizer reports it in the sanitizer build).
TEST(OutcomeStoreTest, ListWhileAddingReadsOnlyLiveSnapshots) {
  auto store = OutcomeStore::Create({});
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Add("chat", Several(4)).ok());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 100; ++i) {
      EXPECT_TRUE((*store)->Add(absl::StrCat("policy-", i % 5), Several(2, "q")).ok());
    }
    done = true;
  });
  size_t lists = 0;
  while (!done) {
    for (const OutcomePolicySummary& summary : (*store)->List()) EXPECT_GT(summary.exemplars, 0u);
    ++lists;
  }
  writer.join();
  EXPECT_GT(lists, 0u);
  EXPECT_EQ((*store)->List().size(), 6u);  // chat and policy-0 .. policy-4
}

TEST(OutcomeStoreTest, InvalidExemplarAddsNothing) {
  auto store = OutcomeStore::Create({});
  ASSERT_TRUE(store.ok());
  std::vector<OutcomeExemplar> exemplars = Several(4);
  exemplars[2].query.clear();
  auto added = (*store)->Add("chat", exemplars);
  EXPECT_EQ(added.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(added.status().message(), HasSubstr("exemplars[2]: query must not be empty"));
  EXPECT_TRUE((*store)->List().empty());
  EXPECT_EQ((*store)->Add("", Several(1)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->Add("chat", {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OutcomeStoreTest, FileKeepsExemplarsAcrossARestart) {
  const std::string path = TempPath("restart.jsonl");
  std::remove(path.c_str());
  OutcomeStoreOptions options;
  options.file = path;
  {
    auto store = OutcomeStore::Create(options);
    ASSERT_TRUE(store.ok()) << store.status();  // No file yet: empty.
    ASSERT_TRUE((*store)->Add("chat", Several(6)).ok());
    ASSERT_TRUE((*store)->Add("code", Several(3, "program")).ok());
  }
  auto restarted = OutcomeStore::Create(options);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  const std::vector<OutcomePolicySummary> policies = (*restarted)->List();
  ASSERT_EQ(policies.size(), 2u);
  EXPECT_EQ(policies[0].policy, "chat");
  EXPECT_EQ(policies[0].exemplars, 6u);
  EXPECT_EQ(policies[1].exemplars, 3u);
  std::remove(path.c_str());
}

TEST(OutcomeStoreTest, ReloadPicksUpAnotherReplicasFile) {
  const std::string path = TempPath("replica.jsonl");
  std::remove(path.c_str());
  OutcomeStoreOptions options;
  options.file = path;
  auto reader = OutcomeStore::Create(options);
  auto writer = OutcomeStore::Create(options);
  ASSERT_TRUE(reader.ok() && writer.ok());
  ASSERT_TRUE((*writer)->Add("chat", Several(5)).ok());
  EXPECT_FALSE((*reader)->Estimate("chat", "question").ok());
  ASSERT_TRUE((*reader)->ReloadFile().ok());
  EXPECT_TRUE((*reader)->Estimate("chat", "question").ok());
  std::remove(path.c_str());
}

TEST(OutcomeStoreTest, BadFileIsAnErrorNamingTheLine) {
  const std::string path = TempPath("bad.jsonl");
  {
    std::ofstream file(path);
    file << R"({"policy": "chat", "key": "k", "query": "q", "tiers": {"small": 1}})"
         << "\n\n"
         << R"({"policy": "chat", "key": "k2", "query": "q", "tiers": {"small": 1}, "x": 1})"
         << "\n";
  }
  OutcomeStoreOptions options;
  options.file = path;
  auto store = OutcomeStore::Create(options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(store.status().message(), HasSubstr(path + ":3: unknown field 'x'"));
  {
    std::ofstream file(path);
    file << R"({"policy": "chat", "key": "k", "query": "q", "tiers": {"small": 2}})"
         << "\n";
  }
  EXPECT_THAT(OutcomeStore::Create(options).status().message(),
              HasSubstr(":1: tiers.small must be a quality in [0, 1]"));
  std::remove(path.c_str());
}

TEST(OutcomeStoreTest, FileRoundTrips) {
  OutcomeExemplarsByPolicy exemplars;
  exemplars["chat"] = {{"caf\xc3\xa9 \"quoted\"", "k1", {{"small", 0.25}}}};
  const std::string path = TempPath("roundtrip.jsonl");
  {
    std::ofstream file(path);
    file << OutcomeExemplarsToJsonLines(exemplars);
  }
  auto read = ReadOutcomeExemplarsFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->at("chat").size(), 1u);
  EXPECT_EQ(read->at("chat")[0].query, "caf\xc3\xa9 \"quoted\"");
  EXPECT_EQ(read->at("chat")[0].tier_quality.at("small"), 0.25);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace cascade::router
