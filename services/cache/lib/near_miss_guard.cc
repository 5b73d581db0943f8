#include "services/cache/lib/near_miss_guard.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/cache/lib/function_words.h"
#include "services/cache/lib/query_tokens.h"

namespace cascade::cache {
namespace {

using WordMap = absl::flat_hash_map<absl::string_view, absl::string_view>;
using WordSet = absl::flat_hash_set<absl::string_view>;

const WordMap& NumberWords() {
  static const auto* words = new WordMap{
      {"zero", "0"},      {"one", "1"},         {"two", "2"},           {"three", "3"},
      {"four", "4"},      {"five", "5"},        {"six", "6"},           {"seven", "7"},
      {"eight", "8"},     {"nine", "9"},        {"ten", "10"},          {"eleven", "11"},
      {"twelve", "12"},   {"thirteen", "13"},   {"fourteen", "14"},     {"fifteen", "15"},
      {"sixteen", "16"},  {"seventeen", "17"},  {"eighteen", "18"},     {"nineteen", "19"},
      {"twenty", "20"},   {"thirty", "30"},     {"forty", "40"},        {"fifty", "50"},
      {"sixty", "60"},    {"seventy", "70"},    {"eighty", "80"},       {"ninety", "90"},
      {"hundred", "100"}, {"thousand", "1000"}, {"million", "1000000"}, {"billion", "1000000000"}};
  return *words;
}

const WordSet& NegationWords() {
  static const auto* words = new WordSet{
      "not",   "no",      "never",  "none",   "nothing",  "nobody",  "nowhere", "neither",
      "nor",   "without", "cannot", "dont",   "doesnt",   "didnt",   "cant",    "wont",
      "isnt",  "arent",   "wasnt",  "werent", "shouldnt", "wouldnt", "couldnt", "havent",
      "hasnt", "hadnt",   "aint",   "mustnt", "neednt",   "shant"};
  return *words;
}

// Months, weekdays, relative days and holidays. Not "may" (a verb when not capitalised),
// nor the abbreviations that are common words (wed, sat, sun).
const WordSet& CalendarWords() {
  static const auto* words = new WordSet{
      "january",   "february",  "march",    "april",     "june",      "july",      "august",
      "september", "october",   "november", "december",  "jan",       "feb",       "mar",
      "apr",       "jun",       "jul",      "aug",       "sep",       "sept",      "oct",
      "nov",       "dec",       "monday",   "tuesday",   "wednesday", "thursday",  "friday",
      "saturday",  "sunday",    "mon",      "tue",       "tues",      "thu",       "thur",
      "thurs",     "fri",       "today",    "tomorrow",  "yesterday", "tonight",   "weekend",
      "morning",   "afternoon", "evening",  "christmas", "easter",    "halloween", "thanksgiving"};
  return *words;
}

// Units and currencies, mapped to one name per unit so that synonyms agree.
const WordMap& Units() {
  static const auto* units = new WordMap{{"$", "usd"},           {"usd", "usd"},
                                         {"dollar", "usd"},      {"dollars", "usd"},
                                         {"\u20AC", "eur"},      {"eur", "eur"},
                                         {"euro", "eur"},        {"euros", "eur"},
                                         {"\u00A3", "gbp"},      {"gbp", "gbp"},
                                         {"pound", "gbp"},       {"pounds", "gbp"},
                                         {"\u00A5", "jpy"},      {"jpy", "jpy"},
                                         {"yen", "jpy"},         {"inr", "inr"},
                                         {"rupee", "inr"},       {"rupees", "inr"},
                                         {"cad", "cad"},         {"aud", "aud"},
                                         {"chf", "chf"},         {"francs", "chf"},
                                         {"peso", "mxn"},        {"pesos", "mxn"},
                                         {"yuan", "cny"},        {"bitcoin", "btc"},
                                         {"btc", "btc"},         {"km", "km"},
                                         {"kms", "km"},          {"kilometer", "km"},
                                         {"kilometers", "km"},   {"kilometre", "km"},
                                         {"kilometres", "km"},   {"mile", "mile"},
                                         {"miles", "mile"},      {"meter", "m"},
                                         {"meters", "m"},        {"metre", "m"},
                                         {"metres", "m"},        {"cm", "cm"},
                                         {"centimeters", "cm"},  {"mm", "mm"},
                                         {"ft", "ft"},           {"foot", "ft"},
                                         {"feet", "ft"},         {"inch", "in"},
                                         {"inches", "in"},       {"yard", "yd"},
                                         {"yards", "yd"},        {"kg", "kg"},
                                         {"kgs", "kg"},          {"kilo", "kg"},
                                         {"kilos", "kg"},        {"kilogram", "kg"},
                                         {"kilograms", "kg"},    {"gram", "g"},
                                         {"grams", "g"},         {"lb", "lb"},
                                         {"lbs", "lb"},          {"oz", "oz"},
                                         {"ounce", "oz"},        {"ounces", "oz"},
                                         {"liter", "l"},         {"liters", "l"},
                                         {"litre", "l"},         {"litres", "l"},
                                         {"ml", "ml"},           {"gallon", "gal"},
                                         {"gallons", "gal"},

                                         {"tablespoon", "tbsp"}, {"tablespoons", "tbsp"},
                                         {"tbsp", "tbsp"},       {"teaspoon", "tsp"},
                                         {"teaspoons", "tsp"},   {"tsp", "tsp"},
                                         {"celsius", "c"},       {"centigrade", "c"},
                                         {"fahrenheit", "f"},    {"kelvin", "k"},
                                         {"mph", "mph"},         {"kph", "kph"},
                                         {"kmh", "kph"},

                                         {"kcal", "kcal"}};
  return *units;
}

// Units that are ordinary words, or too short to trust, unless they follow a number.
const WordMap& UnitsAfterNumber() {
  static const auto* units =
      new WordMap{{"second", "s"},    {"seconds", "s"},    {"sec", "s"},        {"secs", "s"},
                  {"minute", "min"},  {"minutes", "min"},  {"min", "min"},      {"mins", "min"},
                  {"hour", "h"},      {"hours", "h"},      {"hr", "h"},         {"hrs", "h"},
                  {"day", "day"},     {"days", "day"},     {"week", "week"},    {"weeks", "week"},
                  {"month", "month"}, {"months", "month"}, {"year", "year"},    {"years", "year"},
                  {"am", "am"},       {"pm", "pm"},        {"m", "m"},          {"g", "g"},
                  {"l", "l"},         {"c", "c"},          {"f", "f"},          {"cup", "cup"},
                  {"cups", "cup"},    {"calorie", "kcal"}, {"calories", "kcal"}};
  return *units;
}

bool IsNegation(const std::string& key) {
  return NegationWords().contains(key) || absl::EndsWith(key, "n't");
}

bool HasAsciiLower(absl::string_view word) {
  return std::any_of(word.begin(), word.end(),
                     [](char c) { return absl::ascii_islower(static_cast<unsigned char>(c)); });
}

bool HasAsciiDigit(absl::string_view word) {
  return std::any_of(word.begin(), word.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

size_t CountAsciiAlpha(absl::string_view word) {
  return std::count_if(word.begin(), word.end(),
                       [](char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)); });
}

// A word that names something: see the entities check in the header.
bool IsName(const QueryToken& token) {
  const absl::string_view word = token.text;
  if (token.is_number || token.is_currency_sign || word.empty()) return false;
  if (CountAsciiAlpha(word) > 0 && HasAsciiDigit(word)) return true;
  const bool capitalised = absl::ascii_isupper(static_cast<unsigned char>(word[0]));
  if (!capitalised) return false;
  if (!HasAsciiLower(word)) return CountAsciiAlpha(word) >= 2;  // ALL-CAPS.
  const bool pronoun_i = absl::StartsWith(token.key, "i'");
  return !token.sentence_start && !pronoun_i;
}

// What the checks compare, read once per query.
struct QueryProfile {
  std::vector<std::string> numbers;  // Sorted: a multiset.
  int negations = 0;
  std::set<std::string> names;
  absl::flat_hash_set<std::string> words;
  std::set<std::string> calendar;
  std::set<std::string> units;
  // Stems of the words that say what the query is about (function_words.h).
  std::set<std::string> content;
  // Relation words (from, to, before, after, ...), and for each the content words that
  // follow it: {"from": {"boston"}, "to": {"denver"}}.
  std::set<std::string> relations;
  std::map<std::string, std::set<std::string>> related;
  // Whom the pronouns name and the tenses of the auxiliaries (function_words.h).
  std::set<std::string> persons;
  std::set<std::string> tenses;
  std::set<std::string> questions;  // What the question words ask for (function_words.h).
  std::set<std::string> frame;      // The function words themselves.
};

QueryProfile Profile(absl::string_view query) {
  const std::vector<QueryToken> tokens = TokenizeQuery(query);
  QueryProfile profile;
  std::vector<std::string> pending_relations;  // Not yet followed by a content word.
  const auto add_content = [&](std::string word) {
    for (const std::string& relation : pending_relations) profile.related[relation].insert(word);
    pending_relations.clear();
    profile.content.insert(std::move(word));
  };
  for (size_t i = 0; i < tokens.size(); ++i) {
    const QueryToken& token = tokens[i];
    const bool after_number = i > 0 && tokens[i - 1].is_number;
    if (token.is_number) {
      profile.numbers.push_back(token.key);
      continue;
    }
    profile.words.insert(token.key);
    if (auto number = NumberWords().find(token.key); number != NumberWords().end()) {
      profile.numbers.emplace_back(number->second);
      continue;  // A number, compared as one: not a content word.
    }
    if (IsNegation(token.key)) ++profile.negations;
    if (absl::string_view person = PersonOf(token.key); !person.empty()) {
      profile.persons.emplace(person);
    }
    if (absl::string_view question = QuestionOf(token.key); !question.empty()) {
      profile.questions.emplace(question);
    }
    if (absl::string_view tense = TenseOf(token.key); !tense.empty()) {
      profile.tenses.emplace(tense);
    } else if (absl::EndsWith(token.text, "'s") && IsFunctionWord(token.key)) {
      profile.tenses.emplace("present");  // what's, it's, how's: is, not a possessive.
      profile.frame.emplace("is");
    }
    // Dates and units are compared as sets of their own, so that "EUR" matches "euros"; as
    // content words too, under the same names.
    if (CalendarWords().contains(token.key) || token.text == "May") {
      profile.calendar.insert(token.key);
      add_content(token.key);
    } else if (auto unit = Units().find(token.key); unit != Units().end()) {
      profile.units.emplace(unit->second);
      add_content(std::string(unit->second));
    } else if (auto short_unit = UnitsAfterNumber().find(token.key);
               after_number && short_unit != UnitsAfterNumber().end()) {
      profile.units.emplace(short_unit->second);
      add_content(std::string(short_unit->second));
    } else {
      if (IsName(token)) profile.names.insert(token.key);
      if (IsFunctionWord(token.key)) {
        profile.frame.insert(token.key);
        if (IsRelationWord(token.key)) {
          profile.relations.insert(token.key);
          pending_relations.push_back(token.key);
        }
      } else if (!IsNegation(token.key)) {
        add_content(StemWord(token.key));
      }
    }
  }
  std::sort(profile.numbers.begin(), profile.numbers.end());
  return profile;
}

std::string Braced(const auto& values) {
  return absl::StrCat("{", absl::StrJoin(values, ", "), "}");
}

// The first name of `from` that `other` does not mention, or "".
std::string MissingName(const QueryProfile& from, const QueryProfile& other) {
  for (const std::string& name : from.names) {
    if (!other.words.contains(name)) return name;
  }
  return "";
}

std::string EntitiesReason(const QueryProfile& a, const QueryProfile& b) {
  for (const std::string& missing : {MissingName(a, b), MissingName(b, a)}) {
    if (!missing.empty()) return absl::StrCat("name '", missing, "' in one query only");
  }
  if (a.calendar != b.calendar) {
    return absl::StrCat("dates ", Braced(a.calendar), " vs ", Braced(b.calendar));
  }
  if (a.units != b.units) {
    return absl::StrCat("units ", Braced(a.units), " vs ", Braced(b.units));
  }
  return "";
}

// How two queries' content words differ, beside those they share.
struct ContentDifference {
  std::vector<std::string> only_a, only_b, shared;
};

ContentDifference CompareContent(const QueryProfile& a, const QueryProfile& b) {
  ContentDifference difference;
  std::set_difference(a.content.begin(), a.content.end(), b.content.begin(), b.content.end(),
                      std::back_inserter(difference.only_a));
  std::set_difference(b.content.begin(), b.content.end(), a.content.begin(), a.content.end(),
                      std::back_inserter(difference.only_b));
  std::set_intersection(a.content.begin(), a.content.end(), b.content.begin(), b.content.end(),
                        std::back_inserter(difference.shared));
  return difference;
}

// Whether each of two sets has a member the other lacks.
bool EachLacksOneOfTheOther(const std::set<std::string>& a, const std::set<std::string>& b) {
  return !std::includes(a.begin(), a.end(), b.begin(), b.end()) &&
         !std::includes(b.begin(), b.end(), a.begin(), a.end());
}

// "relations {before} vs {after}" (or persons, tenses, questions) when each query has a
// relation word (a person, a tense, a question word) the other lacks, or "'to' before {usd}
// vs {eur}" when a relation word of both is followed by other words they share; else "".
std::string FunctionSwapReason(const QueryProfile& a, const QueryProfile& b) {
  for (const auto& [what, a_set, b_set] :
       {std::tuple("relations", &a.relations, &b.relations),
        std::tuple("persons", &a.persons, &b.persons), std::tuple("tenses", &a.tenses, &b.tenses),
        std::tuple("questions", &a.questions, &b.questions)}) {
    if (EachLacksOneOfTheOther(*a_set, *b_set)) {
      return absl::StrCat(what, " ", Braced(*a_set), " vs ", Braced(*b_set));
    }
  }
  // The words after `relation` in `profile` that `other` has too.
  const auto shared_after = [](const QueryProfile& profile, const QueryProfile& other,
                               const std::string& relation) {
    std::set<std::string> words;
    auto it = profile.related.find(relation);
    if (it == profile.related.end()) return words;
    for (const std::string& word : it->second) {
      if (other.content.contains(word)) words.insert(word);
    }
    return words;
  };
  for (const std::string& relation : a.relations) {
    const std::set<std::string> after_a = shared_after(a, b, relation);
    const std::set<std::string> after_b = shared_after(b, a, relation);
    if (!after_a.empty() && !after_b.empty() && after_a != after_b) {
      return absl::StrCat("'", relation, "' before ", Braced(after_a), " vs ", Braced(after_b));
    }
  }
  return "";
}

std::string DifferenceReason(const ContentDifference& difference) {
  return absl::StrCat("words ", Braced(difference.only_a), " vs ", Braced(difference.only_b),
                      ", beside ", Braced(difference.shared));
}

}  // namespace

absl::string_view NearMissCheckName(NearMissCheck check) {
  switch (check) {
    case NearMissCheck::kNone:
      return "none";
    case NearMissCheck::kNumbers:
      return "numbers";
    case NearMissCheck::kNegation:
      return "negation";
    case NearMissCheck::kEntities:
      return "entities";
    case NearMissCheck::kSwaps:
      return "swaps";
    case NearMissCheck::kAdditions:
      return "additions";
  }
  return "unknown";
}

NearMissVerdict NearMissGuard::Check(absl::string_view cached_query,
                                     absl::string_view new_query) const {
  const QueryProfile cached = Profile(cached_query);
  const QueryProfile incoming = Profile(new_query);
  if (options_.check_numbers && cached.numbers != incoming.numbers) {
    return {NearMissCheck::kNumbers,
            absl::StrCat("numbers ", Braced(cached.numbers), " vs ", Braced(incoming.numbers))};
  }
  if (options_.check_negation && cached.negations != incoming.negations) {
    return {NearMissCheck::kNegation,
            absl::StrCat("negations ", cached.negations, " vs ", incoming.negations)};
  }
  if (options_.check_entities) {
    if (std::string reason = EntitiesReason(cached, incoming); !reason.empty()) {
      return {NearMissCheck::kEntities, std::move(reason)};
    }
  }
  if (options_.check_swaps || options_.check_additions) {
    const ContentDifference difference = CompareContent(cached, incoming);
    // One question with a part changed: it shares a content word, or all its function words
    // ("what is your name" vs "what is your job"), or has none ("who are you" vs "how are
    // you"). "what's your name" and "what should I call you" share neither.
    const bool one_question = !difference.shared.empty() || cached.frame == incoming.frame ||
                              (cached.content.empty() && incoming.content.empty());
    if (one_question) {
      const bool a_only = !difference.only_a.empty(), b_only = !difference.only_b.empty();
      if (options_.check_swaps && a_only && b_only) {
        return {NearMissCheck::kSwaps, DifferenceReason(difference)};
      }
      if (options_.check_swaps) {
        if (std::string reason = FunctionSwapReason(cached, incoming); !reason.empty()) {
          return {NearMissCheck::kSwaps, std::move(reason)};
        }
      }
      if (options_.check_additions && a_only != b_only) {
        return {NearMissCheck::kAdditions, DifferenceReason(difference)};
      }
    }
  }
  return {};
}

}  // namespace cascade::cache
