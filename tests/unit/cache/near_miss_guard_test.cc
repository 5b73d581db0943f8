#include "services/cache/lib/near_miss_guard.h"

#include <gtest/gtest.h>

namespace cascade::cache {
namespace {

NearMissCheck RefusedBy(absl::string_view a, absl::string_view b,
                        const NearMissGuardOptions& options = {}) {
  const NearMissGuard guard(options);
  const NearMissVerdict verdict = guard.Check(a, b);
  // Symmetric: the order of the two queries never matters.
  EXPECT_EQ(guard.Check(b, a).refused_by, verdict.refused_by) << a << " | " << b;
  EXPECT_EQ(verdict.refused(), !verdict.reason.empty()) << verdict.reason;
  return verdict.refused_by;
}

TEST(NearMissGuardTest, ParaphrasesWithTheSameDetailsPass) {
  EXPECT_EQ(RefusedBy("what's your name", "what should I call you"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("What's the weather in Paris?", "how is the weather in paris"),
            NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("convert 5 km to miles", "how many miles is 5 kilometers"),
            NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("what is 1,000 divided by 2.50", "1000 / 2.5 = ?"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("I don't like rain, do I", "i do not like rain, do i"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("price of two tickets", "price of 2 tickets"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("$20 in euros", "20 dollars in EUR"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("what day is it", "what's the date"), NearMissCheck::kNone);
}

TEST(NearMissGuardTest, DifferentNumbersAreRefused) {
  EXPECT_EQ(RefusedBy("convert 5 km to miles", "convert 50 km to miles"), NearMissCheck::kNumbers);
  EXPECT_EQ(RefusedBy("set an alarm for 6:30", "set an alarm for 7:30"), NearMissCheck::kNumbers);
  EXPECT_EQ(RefusedBy("roll two dice", "roll three dice"), NearMissCheck::kNumbers);
  EXPECT_EQ(RefusedBy("3 apples", "3 apples and 3 pears"), NearMissCheck::kNumbers);  // Multiset.
  EXPECT_EQ(RefusedBy("a hundred people", "100 people"), NearMissCheck::kNone);
  // Conservative: "two hundred" is {2, 100}, not 200.
  EXPECT_EQ(RefusedBy("two hundred people", "200 people"), NearMissCheck::kNumbers);
}

TEST(NearMissGuardTest, DifferentNegationsAreRefused) {
  EXPECT_EQ(RefusedBy("should I take an umbrella", "should I not take an umbrella"),
            NearMissCheck::kNegation);
  EXPECT_EQ(RefusedBy("which foods contain gluten", "which foods don't contain gluten"),
            NearMissCheck::kNegation);
  EXPECT_EQ(RefusedBy("coffee with sugar", "coffee without sugar"), NearMissCheck::kNegation);
  EXPECT_EQ(RefusedBy("why can I sleep", "why cant I sleep"), NearMissCheck::kNegation);
  EXPECT_EQ(RefusedBy("why can\u2019t I sleep", "why can't i sleep"), NearMissCheck::kNone);
}

TEST(NearMissGuardTest, DifferentNamesDatesAndUnitsAreRefused) {
  EXPECT_EQ(RefusedBy("weather in Paris", "weather in London"), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("weather in Paris", "weather in london"), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("is the DMV open today", "is the IRS open today"), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("seats on an A380", "seats on an A350"), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("weather today", "weather tomorrow"), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("meetings on monday", "meetings on friday"), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("convert 5 km to miles", "convert 5 km to feet"), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("100 usd in yen", "100 usd in \u20AC"), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("set a timer for 5 minutes", "set a timer for 5 hours"),
            NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("alarm at 6 am", "alarm at 6pm"), NearMissCheck::kEntities);
}

TEST(NearMissGuardTest, WhatIsNotANameOrUnit) {
  // Capitalised first words, the pronoun I and single capitals are not names.
  EXPECT_EQ(RefusedBy("Tell me a joke. Please", "tell me a joke please"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("can I'm here", "can i'm here"), NearMissCheck::kNone);
  // Lowercase names are invisible to the guard: the embedding threshold must catch them.
  EXPECT_EQ(RefusedBy("weather in paris", "weather in london"), NearMissCheck::kNone);
  // Time words are units only after a number.
  EXPECT_EQ(RefusedBy("what day is it", "what is it"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("may I ask", "can I ask"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("how many calories in an egg", "calorie count of an egg"),
            NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("2 cups of rice", "2 calories of rice"), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("holidays in May", "holidays in June"), NearMissCheck::kEntities);
}

TEST(NearMissGuardTest, EachCheckSwitchedOffNoLongerRefuses) {
  NearMissGuardOptions no_numbers;
  no_numbers.check_numbers = false;
  EXPECT_EQ(RefusedBy("convert 5 km", "convert 50 km", no_numbers), NearMissCheck::kNone);
  NearMissGuardOptions no_negation;
  no_negation.check_negation = false;
  EXPECT_EQ(RefusedBy("take an umbrella", "don't take an umbrella", no_negation),
            NearMissCheck::kNone);
  NearMissGuardOptions no_entities;
  no_entities.check_entities = false;
  EXPECT_EQ(RefusedBy("weather in Paris today", "weather in London tomorrow", no_entities),
            NearMissCheck::kNone);
  // With one check off, the next one that applies still names the refusal.
  EXPECT_EQ(RefusedBy("5 km in Paris", "50 km in London", no_numbers), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("5 km in Paris", "50 km in London"), NearMissCheck::kNumbers);
  const NearMissGuardOptions none{false, false, false};
  EXPECT_EQ(RefusedBy("5 km not in Paris", "50 km in London", none), NearMissCheck::kNone);
}

TEST(NearMissGuardTest, EmptyAndNonAsciiInputs) {
  EXPECT_EQ(RefusedBy("", ""), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("", "   "), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("", "5"), NearMissCheck::kNumbers);
  EXPECT_EQ(RefusedBy("", "not"), NearMissCheck::kNegation);
  EXPECT_EQ(RefusedBy("\u5929\u6C17 \u6771\u4EAC", "\u5929\u6C17 \u6771\u4EAC"),
            NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("Wetter in Z\u00FCrich", "Wetter in z\u00FCrich"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("Wetter in Z\u00FCrich", "Wetter in Genf"), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("\u00A35 please", "\u20AC5 please"), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("\xFF\xFE", "\xFF\xFE"), NearMissCheck::kNone);  // Not UTF-8 at all.
}

TEST(NearMissGuardTest, VerdictNamesCheckAndReason) {
  const NearMissVerdict verdict = NearMissGuard().Check("convert 5 km", "convert 50 km");
  EXPECT_EQ(NearMissCheckName(verdict.refused_by), "numbers");
  EXPECT_EQ(verdict.reason, "numbers {5} vs {50}");
  EXPECT_EQ(NearMissGuard().Check("Paris", "x Paris y").reason, "");
  EXPECT_EQ(NearMissGuard().Check("go to Paris", "go to Rome").reason,
            "name 'paris' in one query only");
  EXPECT_EQ(NearMissCheckName(NearMissCheck::kNone), "none");
  EXPECT_EQ(NearMissCheckName(NearMissCheck::kNegation), "negation");
  EXPECT_EQ(NearMissCheckName(NearMissCheck::kEntities), "entities");
}

}  // namespace
}  // namespace cascade::cache
