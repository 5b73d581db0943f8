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
  EXPECT_EQ(RefusedBy("5 km in miles", "how many miles is 5 kilometers"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("find me flights to Denver", "search for a flight to denver"),
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
  // Lowercase names are invisible to the entities check: the swaps check refuses them.
  EXPECT_EQ(RefusedBy("weather in paris", "weather in london"), NearMissCheck::kSwaps);
  // Time words are units only after a number.
  EXPECT_EQ(RefusedBy("what day is it", "which day is it"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("may I ask", "can I ask"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("how many calories in an egg", "calories in an egg"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("2 cups of rice", "2 calories of rice"), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("holidays in May", "holidays in June"), NearMissCheck::kEntities);
}

TEST(NearMissGuardTest, SwappedWordsAreRefused) {
  EXPECT_EQ(RefusedBy("how many calories are in an apple", "how many calories are in a banana"),
            NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("book a flight to Rome", "cancel a flight to Rome"), NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("start the timer", "stop the timer"), NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("play songs by queen", "play songs by adele"), NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("vitamin c benefits", "vitamin d benefits"), NearMissCheck::kSwaps);
  // Relation words swapped, or attached to other words.
  EXPECT_EQ(RefusedBy("what happened before the war", "what happened after the war"),
            NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("flights from boston to denver", "flights from denver to boston"),
            NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("flights from boston to denver", "flights to denver from boston"),
            NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("convert euros to dollars", "convert dollars to euros"),
            NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("is mars bigger than earth", "is earth bigger than mars"),
            NearMissCheck::kSwaps);
  // Pronouns that name someone else, auxiliaries of another tense.
  EXPECT_EQ(RefusedBy("what's my name", "what's your name"), NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("what is his job", "what is her job"), NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("what was the weather in paris", "what's the weather in paris"),
            NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("what is the weather in paris", "what's the weather in paris"),
            NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("what should I call you", "what's your name"), NearMissCheck::kNone);
  // Question words that ask for something else, also in queries of function words only.
  EXPECT_EQ(RefusedBy("who are you", "how are you"), NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("where is the museum", "when is the museum"), NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("how's the weather in rome", "what's the weather in rome"),
            NearMissCheck::kNone);
  // A relation word in one query only is not a swap; "to" before a verb in one, a noun in
  // the other is not either.
  EXPECT_EQ(RefusedBy("flights from boston", "boston flights"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("goodbye to everyone", "i have to say goodbye"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("look up flights to dallas", "search for flights to dallas"),
            NearMissCheck::kNone);
  // The same function words around one swapped word: one question too.
  EXPECT_EQ(RefusedBy("what is your name", "what's your job"), NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("tell me a joke", "tell me a story"), NearMissCheck::kSwaps);
  EXPECT_EQ(RefusedBy("paris", "london"), NearMissCheck::kSwaps);
  // Nothing shared: not one question with a part swapped, so only the embedding judges.
  EXPECT_EQ(RefusedBy("what's your name", "what should I call you"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("what's your name", "call you"), NearMissCheck::kNone);
}

TEST(NearMissGuardTest, AddedQualifiersAreRefused) {
  EXPECT_EQ(RefusedBy("hotels in chicago", "cheap hotels in chicago"), NearMissCheck::kAdditions);
  EXPECT_EQ(RefusedBy("how do I cook rice", "how do I cook brown rice"), NearMissCheck::kAdditions);
  // The cost: a paraphrase that adds a word is refused too.
  EXPECT_EQ(RefusedBy("what's the current time in paris", "what time is it in paris"),
            NearMissCheck::kAdditions);
  // Words that only frame the question are not additions.
  EXPECT_EQ(RefusedBy("hotels in chicago", "can you please show me the hotels in chicago"),
            NearMissCheck::kNone);
}

TEST(NearMissGuardTest, ContentWordsCompareSingularAndPluralAlike) {
  EXPECT_EQ(RefusedBy("cities in france", "which city is in france"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("calories in a peach", "calorie in peaches"), NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("how many days until easter", "how many day until easter"),
            NearMissCheck::kNone);
  EXPECT_EQ(RefusedBy("boxes of matches", "a box of match"), NearMissCheck::kNone);
  // Units agree under one name: km is kilometers.
  EXPECT_EQ(RefusedBy("how many km in a mile", "how many kilometers are in a mile"),
            NearMissCheck::kNone);
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
  EXPECT_EQ(RefusedBy("to Paris", "to London"), NearMissCheck::kEntities);
  // With entities off, the swaps check still sees a name swapped; with both off, nothing.
  EXPECT_EQ(RefusedBy("weather in Paris today", "weather in London tomorrow", no_entities),
            NearMissCheck::kSwaps);
  no_entities.check_swaps = false;
  EXPECT_EQ(RefusedBy("to Paris", "to London", no_entities), NearMissCheck::kNone);
  // With one check off, the next one that applies still names the refusal.
  EXPECT_EQ(RefusedBy("5 km in Paris", "50 km in London", no_numbers), NearMissCheck::kEntities);
  EXPECT_EQ(RefusedBy("5 km in Paris", "50 km in London"), NearMissCheck::kNumbers);
  NearMissGuardOptions no_swaps;
  no_swaps.check_swaps = false;
  EXPECT_EQ(RefusedBy("weather in paris", "weather in london", no_swaps), NearMissCheck::kNone);
  NearMissGuardOptions no_additions;
  no_additions.check_additions = false;
  EXPECT_EQ(RefusedBy("hotels in paris", "cheap hotels in paris", no_additions),
            NearMissCheck::kNone);
  const NearMissGuardOptions none = NearMissGuardOptions::AllOff();
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
  EXPECT_EQ(NearMissGuard().Check("Paris", "to Paris please").reason, "");
  EXPECT_EQ(NearMissGuard().Check("go to Paris", "go to Rome").reason,
            "name 'paris' in one query only");
  EXPECT_EQ(NearMissCheckName(NearMissCheck::kNone), "none");
  EXPECT_EQ(NearMissCheckName(NearMissCheck::kNegation), "negation");
  EXPECT_EQ(NearMissCheckName(NearMissCheck::kEntities), "entities");
  EXPECT_EQ(NearMissCheckName(NearMissCheck::kSwaps), "swaps");
  EXPECT_EQ(NearMissCheckName(NearMissCheck::kAdditions), "additions");
  EXPECT_EQ(NearMissGuard().Check("weather in rome", "weather in london").reason,
            "words {rome} vs {london}, beside {weather}");
  EXPECT_EQ(NearMissGuard().Check("cheap hotels", "hotels").reason,
            "words {cheap} vs {}, beside {hotel}");
  EXPECT_EQ(NearMissGuard().Check("drive over the bridge", "drive under the bridge").reason,
            "relations {over} vs {under}");
  EXPECT_EQ(NearMissGuard().Check("from rome to oslo", "from oslo to rome").reason,
            "'from' before {rome} vs {oslo}");
  EXPECT_EQ(NearMissGuard().Check("where is my car", "where is your car").reason,
            "persons {first} vs {second}");
  EXPECT_EQ(NearMissGuard().Check("how was the trip", "how's the trip").reason,
            "tenses {past} vs {present}");
}

}  // namespace
}  // namespace cascade::cache
