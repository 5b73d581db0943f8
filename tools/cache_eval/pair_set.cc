#include "tools/cache_eval/pair_set.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"

namespace cascade::cache_eval {
namespace {

// CLINC150 intents whose answer does not depend on anything said in the query.
constexpr const char* kArgumentFreeIntents[] = {
    "are_you_a_bot",         "do_you_have_pets",   "goodbye",           "greeting",
    "how_old_are_you",       "meaning_of_life",    "thank_you",         "user_name",
    "what_are_your_hobbies", "what_can_i_ask_you", "what_is_your_name", "where_are_you_from",
    "who_do_you_work_for",   "who_made_you"};

// Phrasings with one "{}" that ask the same thing of a slot value; different values ask
// different things.
struct TemplateFamily {
  const char* name;
  std::vector<const char*> phrasings;
  std::vector<const char*> values;
};

const std::vector<TemplateFamily>& Families() {
  static const auto* families = new std::vector<TemplateFamily>{
      {"weather_city",
       {"what's the weather in {}", "what is the weather like in {}", "how's the weather in {}"},
       {"Paris", "London", "Tokyo", "New York", "Berlin", "Madrid", "Chicago", "Sydney", "Boston",
        "Seattle", "Rome", "Dublin"}},
      {"local_time",
       {"what time is it in {}", "what's the current time in {}", "tell me the time in {}"},
       {"Paris", "London", "Tokyo", "New York", "Denver", "Chicago", "Sydney", "Dubai"}},
      {"flight",
       {"find me a flight to {}", "search for flights to {}", "look up flights to {}"},
       {"Paris", "London", "Tokyo", "Miami", "Denver", "Atlanta", "Dallas", "Toronto"}},
      {"distance_amount",
       {"convert {} kilometers to miles", "how many miles is {} kilometers",
        "what is {} km in miles"},
       {"3", "5", "10", "12", "21", "42", "100", "2.5"}},
      {"distance_unit",
       {"how many {} are in a mile", "how many {} make a mile", "a mile is how many {}"},
       {"feet", "meters", "yards", "kilometers", "inches", "centimeters"}},
      {"currency",
       {"convert 100 {} to euros", "how many euros is 100 {}", "what is 100 {} in euros"},
       {"dollars", "pounds", "yen", "rupees", "pesos", "francs"}},
      {"alarm",
       {"set an alarm for {}", "wake me up at {}", "I need an alarm at {}"},
       {"6 am", "6:30 am", "7 am", "7:30 am", "6 pm", "8 am", "5:45 am"}},
      {"timer",
       {"set a timer for {}", "start a timer for {}", "put a timer on for {}"},
       {"5 minutes", "10 minutes", "15 minutes", "5 hours", "30 seconds", "1 hour"}},
      {"days_until",
       {"how many days until {}", "how many days are left until {}", "count the days to {}"},
       {"Christmas", "Halloween", "Thanksgiving", "Easter", "March 3", "March 5", "June 10",
        "July 10"}},
      {"store_open",
       {"is {} open today", "is {} open for business today", "will {} be open today"},
       {"Costco", "Walmart", "Target", "the DMV", "the post office", "the bank", "the library",
        "Home Depot"}},
      {"weather_day",
       {"what's the weather {}", "how is the weather {}", "what's the forecast {}"},
       {"today", "tomorrow", "this weekend", "on Monday", "on Friday", "tonight"}},
      {"translate",
       {"how do you say thank you in {}", "translate thank you into {}", "what is thank you in {}"},
       {"French", "Spanish", "German", "Italian", "Japanese", "Portuguese"}},
      {"music",
       {"play songs by {}", "play some music by {}", "put on songs by {}"},
       {"Queen", "Adele", "Drake", "Coldplay", "Beyonce", "Metallica"}},
      {"multiply",
       {"what is {} times 7", "multiply {} by 7", "what's {} multiplied by 7"},
       {"3", "6", "8", "12", "15", "21"}},
      {"recipe_servings",
       {"give me a pancake recipe for {} people", "a pancake recipe that serves {}",
        "pancake recipe for {} servings"},
       {"two", "four", "six", "eight", "ten"}},
      {"calories",
       {"how many calories are in {}", "what's the calorie count of {}", "calories in {}"},
       {"an apple", "a banana", "an egg", "a bagel", "a cup of rice", "a slice of pizza"}},
  };
  return *families;
}

// (affirmative, negated): the same question with its answer turned around.
constexpr std::pair<const char*, const char*> kNegationPairs[] = {
    {"should I take an umbrella", "should I not take an umbrella"},
    {"which foods contain gluten", "which foods don't contain gluten"},
    {"what can I eat when pregnant", "what can't I eat when pregnant"},
    {"why does my car start", "why doesn't my car start"},
    {"is it safe to drink the tap water", "is it not safe to drink the tap water"},
    {"list restaurants that take reservations", "list restaurants that do not take reservations"},
    {"find coffee shops with wifi", "find coffee shops without wifi"},
    {"which planets have rings", "which planets have no rings"},
    {"is my card blocked", "is my card not blocked"},
    {"what should I pack for the beach", "what should I never pack for the beach"},
    {"which plants need direct sunlight", "which plants need no direct sunlight"},
    {"songs with lyrics for studying", "songs without lyrics for studying"},
};

// (plain, qualified): a word added on one side narrows what is asked, so the plain answer is
// wrong for the qualified question. The swaps check cannot see these (nothing is swapped):
// only the similarity threshold keeps them apart.
constexpr std::pair<const char*, const char*> kQualifierPairs[] = {
    {"find flights to Denver", "find nonstop flights to Denver"},
    {"restaurants near me", "vegan restaurants near me"},
    {"hotels in Chicago", "cheap hotels in Chicago"},
    {"is the museum open", "is the museum open late"},
    {"how do I cook rice", "how do I cook brown rice"},
    {"side effects of ibuprofen", "long term side effects of ibuprofen"},
    {"gas stations near me", "gas stations near me open now"},
    {"list the planets", "list the dwarf planets"},
    {"how do I get a passport", "how do I get a passport for my child"},
    {"what's the speed limit", "what's the speed limit on highways"},
    {"how do I reset my password", "how do I reset my work password"},
    {"show me used cars", "show me used electric cars"},
};

// (one way, the other way): the same words with a direction, an order, a person or a tense
// turned around.
constexpr std::pair<const char*, const char*> kRelationPairs[] = {
    {"flights from Boston to Denver", "flights from Denver to Boston"},
    {"convert euros to dollars", "convert dollars to euros"},
    {"what happened before the French Revolution", "what happened after the French Revolution"},
    {"drive from Lyon to Nice", "drive from Nice to Lyon"},
    {"is Mars bigger than Earth", "is Earth bigger than Mars"},
    {"should I stretch before running", "should I stretch after running"},
    {"what's my name", "what's your name"},
    {"how old are you", "how old am I"},
    {"what was the weather in Rome", "what's the weather in Rome"},
    {"where did you live", "where do you live"},
};

std::string Fill(const char* phrasing, const char* value) {
  return absl::StrReplaceAll(phrasing, {{"{}", value}});
}

// Appends at most `limit` of `candidates`, drawn with `random`.
void AppendSample(std::vector<QueryPair> candidates, size_t limit, std::mt19937_64& random,
                  std::vector<QueryPair>& out) {
  std::shuffle(candidates.begin(), candidates.end(), random);
  if (candidates.size() > limit) candidates.resize(limit);
  out.insert(out.end(), candidates.begin(), candidates.end());
}

// The pairs as written, then each again lowercased where that changes it.
void AppendWithLowercase(std::vector<QueryPair> pairs, std::vector<QueryPair>& out) {
  for (QueryPair& pair : pairs) {
    QueryPair lower{absl::AsciiStrToLower(pair.first), absl::AsciiStrToLower(pair.second),
                    pair.group, /*lowercased=*/true};
    const bool differs = lower.first != pair.first || lower.second != pair.second;
    out.push_back(std::move(pair));
    if (differs) out.push_back(std::move(lower));
  }
}

std::vector<QueryPair> ClincParaphrases(const std::vector<router::LabeledQuery>& train,
                                        size_t limit, std::mt19937_64& random) {
  std::map<std::string, std::vector<std::string>> utterances;  // Ordered: a fixed draw order.
  const std::set<std::string> intents(std::begin(kArgumentFreeIntents),
                                      std::end(kArgumentFreeIntents));
  for (const router::LabeledQuery& query : train) {
    const bool has_digit = std::any_of(query.text.begin(), query.text.end(), [](char c) {
      return absl::ascii_isdigit(static_cast<unsigned char>(c));
    });
    if (intents.count(query.label) && !has_digit) utterances[query.label].push_back(query.text);
  }
  std::vector<QueryPair> pairs;
  for (const auto& [intent, texts] : utterances) {
    std::vector<QueryPair> candidates;
    for (size_t i = 0; i < texts.size(); ++i) {
      for (size_t j = i + 1; j < texts.size(); ++j) {
        if (texts[i] != texts[j]) candidates.push_back({texts[i], texts[j], intent});
      }
    }
    AppendSample(std::move(candidates), limit, random, pairs);
  }
  return pairs;
}

}  // namespace

PairSet BuildPairSet(const std::vector<router::LabeledQuery>& clinc_train, size_t pairs_per_group,
                     uint64_t seed) {
  std::mt19937_64 random(seed);
  PairSet set;
  set.clinc_paraphrases = ClincParaphrases(clinc_train, pairs_per_group, random);
  for (const TemplateFamily& family : Families()) {
    std::vector<QueryPair> paraphrases, near_misses;
    for (const char* value : family.values) {
      for (size_t i = 0; i < family.phrasings.size(); ++i) {
        for (size_t j = i + 1; j < family.phrasings.size(); ++j) {
          paraphrases.push_back(
              {Fill(family.phrasings[i], value), Fill(family.phrasings[j], value), family.name});
        }
      }
    }
    for (const char* phrasing : family.phrasings) {
      for (size_t i = 0; i < family.values.size(); ++i) {
        for (size_t j = i + 1; j < family.values.size(); ++j) {
          near_misses.push_back(
              {Fill(phrasing, family.values[i]), Fill(phrasing, family.values[j]), family.name});
        }
      }
    }
    std::vector<QueryPair> sampled;
    AppendSample(std::move(paraphrases), pairs_per_group, random, sampled);
    AppendWithLowercase(std::move(sampled), set.template_paraphrases);
    sampled.clear();
    AppendSample(std::move(near_misses), pairs_per_group, random, sampled);
    AppendWithLowercase(std::move(sampled), set.near_misses);
  }
  std::vector<QueryPair> negations;
  for (const auto& [affirmative, negated] : kNegationPairs) {
    negations.push_back({affirmative, negated, "negation"});
  }
  AppendWithLowercase(std::move(negations), set.near_misses);
  std::vector<QueryPair> qualifiers;
  for (const auto& [plain, qualified] : kQualifierPairs) {
    qualifiers.push_back({plain, qualified, "qualifier"});
  }
  AppendWithLowercase(std::move(qualifiers), set.near_misses);
  std::vector<QueryPair> relations;
  for (const auto& [one_way, other_way] : kRelationPairs) {
    relations.push_back({one_way, other_way, "relation"});
  }
  AppendWithLowercase(std::move(relations), set.near_misses);
  return set;
}

}  // namespace cascade::cache_eval
