#pragma once

// English words that frame a question rather than say what it is about, for the near-miss
// guard's swaps check (near_miss_guard.h): two queries that differ only in these ask the same
// thing ("what's the weather in Paris" / "how is the weather in Paris"). Closed-class words
// (articles, pronouns, prepositions, conjunctions, auxiliaries, question words) and the
// verbs that only frame a request (tell, show, find, get, ...). Verbs that do something
// (set, start, stop, book, cancel) are not among them: "start the timer" and "stop the
// timer" must stay apart.

#include <string>

#include "absl/strings/string_view.h"

namespace cascade::cache {

// `key` as QueryToken::key has it (ASCII-lowercased, possessive 's dropped).
bool IsFunctionWord(absl::string_view key);

// The function words that set a direction or an order, whose swap turns the question around
// ("flights from Boston to Denver" vs "... from Denver to Boston", "is Mars bigger than
// Earth" vs "is Earth bigger than Mars"): from/to, before/after, above/below, over/under,
// more/less, than, ... Not up/down: mostly particles, as in "look up".
bool IsRelationWord(absl::string_view key);

// Whom a pronoun names: "first" (I, me, we, ...), "second" (you, your, ...), "he", "she" or
// "they"; "" for other words. "what's my name" and "what's your name" ask different things.
absl::string_view PersonOf(absl::string_view key);

// The tense an auxiliary sets: "past" (was, were, did, had), "present" (is, are, am, do,
// does, has, have) or "future" (will); "" for other words. "what was the weather in paris"
// is not "what is the weather in paris".
absl::string_view TenseOf(absl::string_view key);

// What a question word asks for: "who" (who, whom, whose), "where", "when", "why", or "what"
// (what, which, how: "what's the weather" and "how's the weather" ask the same); "" for
// other words. "who are you" is not "how are you".
absl::string_view QuestionOf(absl::string_view key);

// A light English stem, so that plural and singular agree: flights -> flight, watches ->
// watch, cities and city -> citi, calories and calorie -> calori. "ss" endings and the s of
// words of three letters or fewer are kept (gas, bus).
std::string StemWord(absl::string_view key);

}  // namespace cascade::cache
