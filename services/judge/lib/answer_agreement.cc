#include "services/judge/lib/answer_agreement.h"

#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"

namespace cascade::judge {
namespace {

// Lower case, whitespace runs as one space, no leading or trailing whitespace, no trailing
// sentence punctuation.
std::string Normalise(absl::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  while (!out.empty() && (out.back() == '.' || out.back() == '!' || out.back() == '?' ||
                          out.back() == ';' || out.back() == ':' || out.back() == ' ')) {
    out.pop_back();
  }
  return out;
}

std::vector<std::string> Words(absl::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      word.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

double WordF1(absl::string_view answer, absl::string_view reference) {
  const std::vector<std::string> a = Words(answer);
  const std::vector<std::string> b = Words(reference);
  if (a.empty() || b.empty()) return a.empty() && b.empty() ? 1.0 : 0.0;
  std::map<std::string, int> counts;
  for (const std::string& word : b) ++counts[word];
  int common = 0;
  for (const std::string& word : a) {
    auto it = counts.find(word);
    if (it != counts.end() && it->second > 0) {
      --it->second;
      ++common;
    }
  }
  return 2.0 * common / static_cast<double>(a.size() + b.size());
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// "1,234.50" -> "1234.5"; "-0.0" -> "0"; "007" -> "7".
std::string Canonical(std::string number) {
  number = absl::StrReplaceAll(number, {{",", ""}});
  bool negative = !number.empty() && number[0] == '-';
  if (negative) number.erase(0, 1);
  if (number.find('.') != std::string::npos) {
    while (number.back() == '0') number.pop_back();
    if (number.back() == '.') number.pop_back();
  }
  size_t first = 0;
  while (first + 1 < number.size() && number[first] == '0' && number[first + 1] != '.') ++first;
  number.erase(0, first);
  if (number.empty() || number == "0") return "0";
  return negative ? "-" + number : number;
}

}  // namespace

std::optional<std::string> FinalNumber(absl::string_view text) {
  std::optional<std::string> last;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      ++i;
      continue;
    }
    // A number starts here unless it continues a word ("gpt4", "x2").
    const bool in_word = i > 0 && (absl::ascii_isalpha(static_cast<unsigned char>(text[i - 1])) ||
                                   text[i - 1] == '_');
    const bool negative = i > 0 && text[i - 1] == '-' &&
                          (i == 1 || !absl::ascii_isalnum(static_cast<unsigned char>(text[i - 2])));
    std::string number = negative ? "-" : "";
    while (i < text.size()) {
      if (IsDigit(text[i])) {
        number.push_back(text[i++]);
      } else if ((text[i] == ',' || text[i] == '.') && i + 1 < text.size() &&
                 IsDigit(text[i + 1]) &&
                 (text[i] == ',' || number.find('.') == std::string::npos)) {
        // A thousands separator or the decimal point, only when a digit follows ("3." ends a
        // sentence).
        number.push_back(text[i++]);
      } else {
        break;
      }
    }
    if (!in_word) last = Canonical(std::move(number));
  }
  return last;
}

AgreementResult CompareAnswers(absl::string_view answer, absl::string_view reference) {
  if (Normalise(answer) == Normalise(reference)) return {1.0, "exact"};
  const std::optional<std::string> answer_number = FinalNumber(answer);
  const std::optional<std::string> reference_number = FinalNumber(reference);
  if (answer_number && reference_number) {
    return {*answer_number == *reference_number ? 1.0 : 0.0, "number"};
  }
  return {WordF1(answer, reference), "overlap"};
}

}  // namespace cascade::judge
