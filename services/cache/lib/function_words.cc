#include "services/cache/lib/function_words.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"

namespace cascade::cache {
namespace {

const absl::flat_hash_set<absl::string_view>& FunctionWords() {
  static const auto* words = new absl::flat_hash_set<absl::string_view>{
      // Articles and determiners.
      "a", "an", "the", "this", "that", "these", "those", "some", "any", "each", "every", "all",
      "both", "either", "another", "other", "such", "what", "which", "whose", "whatever",
      "whichever",
      // Pronouns.
      "i", "me", "my", "mine", "myself", "you", "your", "yours", "yourself", "he", "him", "his",
      "himself", "she", "her", "hers", "herself", "it", "its", "itself", "we", "us", "our", "ours",
      "ourselves", "they", "them", "their", "theirs", "themselves", "someone", "somebody",
      "something", "anyone", "anybody", "anything", "everyone", "everybody", "everything", "i'm",
      "i've", "i'd", "i'll", "you're", "you've", "you'd", "you'll", "we're", "we've", "we'd",
      "we'll", "they're", "they've", "they'd", "they'll", "he'd", "she'd", "it'll", "that'll",
      "let's",
      // Question words.
      "who", "whom", "when", "where", "why", "how", "whether",
      // Prepositions and particles; those of a direction or an order are relation words.
      "about", "across", "along", "among", "around", "as", "at", "behind", "beneath", "beside",
      "beyond", "by", "during", "for", "in", "like", "near", "of", "off", "on", "onto", "out",
      "past", "per", "through", "up", "down", "upon", "via", "with", "within",
      // Conjunctions.
      "and", "or", "but", "so", "yet", "if", "then", "because", "while", "although", "though",
      "unless",
      // Auxiliaries and modals.
      "am", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "doing", "done",
      "have", "has", "had", "having", "will", "would", "shall", "should", "can", "could", "may",
      "might", "must",
      // Adverbs and words of politeness that frame a request.
      "there", "here", "just", "also", "too", "very", "really", "please", "now", "again", "ever",
      "even", "only", "much", "many", "ok", "okay", "hey", "hi", "hello",
      // Verbs that only frame a request.
      "tell", "show", "give", "find", "get", "let", "know", "want", "need", "help", "search",
      "look", "see", "say"};
  return *words;
}

const absl::flat_hash_set<absl::string_view>& RelationWords() {
  static const auto* words = new absl::flat_hash_set<absl::string_view>{
      "than",  "from",  "to",    "into",   "toward",  "towards", "before", "after",
      "since", "until", "till",  "above",  "below",   "over",    "under",  "more",
      "most",  "less",  "least", "inside", "outside", "between", "against"};
  return *words;
}

using WordClasses = absl::flat_hash_map<absl::string_view, absl::string_view>;

const WordClasses& Persons() {
  static const auto* persons =
      new WordClasses{{"i", "first"},         {"me", "first"},        {"my", "first"},
                      {"mine", "first"},      {"myself", "first"},    {"i'm", "first"},
                      {"i've", "first"},      {"i'd", "first"},       {"i'll", "first"},
                      {"we", "first"},        {"us", "first"},        {"our", "first"},
                      {"ours", "first"},      {"ourselves", "first"}, {"we're", "first"},
                      {"we've", "first"},     {"we'd", "first"},      {"we'll", "first"},
                      {"let's", "first"},     {"you", "second"},      {"your", "second"},
                      {"yours", "second"},    {"yourself", "second"}, {"yourselves", "second"},
                      {"you're", "second"},   {"you've", "second"},   {"you'd", "second"},
                      {"you'll", "second"},   {"he", "he"},           {"him", "he"},
                      {"his", "he"},          {"himself", "he"},      {"he'd", "he"},
                      {"she", "she"},         {"her", "she"},         {"hers", "she"},
                      {"herself", "she"},     {"she'd", "she"},       {"they", "they"},
                      {"them", "they"},       {"their", "they"},      {"theirs", "they"},
                      {"themselves", "they"}, {"they're", "they"},    {"they've", "they"},
                      {"they'd", "they"},     {"they'll", "they"}};
  return *persons;
}

const WordClasses& Tenses() {
  static const auto* tenses = new WordClasses{
      {"was", "past"},     {"were", "past"},   {"did", "past"},     {"had", "past"},
      {"is", "present"},   {"are", "present"}, {"am", "present"},   {"do", "present"},
      {"does", "present"}, {"has", "present"}, {"have", "present"}, {"will", "future"}};
  return *tenses;
}

const WordClasses& Questions() {
  static const auto* questions = new WordClasses{
      {"who", "who"}, {"whom", "who"},  {"whose", "who"},  {"where", "where"}, {"when", "when"},
      {"why", "why"}, {"what", "what"}, {"which", "what"}, {"how", "what"}};
  return *questions;
}

absl::string_view ClassOf(const WordClasses& classes, absl::string_view key) {
  auto it = classes.find(key);
  return it == classes.end() ? absl::string_view() : it->second;
}

}  // namespace

absl::string_view PersonOf(absl::string_view key) { return ClassOf(Persons(), key); }

absl::string_view TenseOf(absl::string_view key) { return ClassOf(Tenses(), key); }

absl::string_view QuestionOf(absl::string_view key) { return ClassOf(Questions(), key); }

bool IsFunctionWord(absl::string_view key) {
  return FunctionWords().contains(key) || RelationWords().contains(key);
}

bool IsRelationWord(absl::string_view key) { return RelationWords().contains(key); }

std::string StemWord(absl::string_view key) {
  std::string word(key);
  // Plural to singular; short words keep their s (gas, bus).
  if (word.size() > 3) {
    const bool sibilant_plural = absl::EndsWith(word, "ies") || absl::EndsWith(word, "ches") ||
                                 absl::EndsWith(word, "shes") || absl::EndsWith(word, "xes") ||
                                 absl::EndsWith(word, "sses");
    if (sibilant_plural) {
      word.resize(word.size() - 2);
    } else if (absl::EndsWith(word, "s") && !absl::EndsWith(word, "ss")) {
      word.pop_back();
    }
  }
  // A final y or ie is written i, so that city/cities, calorie/calories and day/days agree.
  if (word.size() > 2) {
    if (absl::EndsWith(word, "ie")) {
      word.pop_back();
    } else if (absl::EndsWith(word, "y")) {
      word.back() = 'i';
    }
  }
  return word;
}

}  // namespace cascade::cache
