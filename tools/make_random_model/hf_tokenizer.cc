#include "tools/make_random_model/hf_tokenizer.h"

#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace cascade::engine {
namespace {

using Json = nlohmann::json;

absl::StatusOr<Json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  std::stringstream text;
  text << in.rdbuf();
  Json json = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is not a JSON object"));
  }
  return json;
}

// The pre-tokenizer whose regular expression the Split step of tokenizer.json holds.
std::optional<PreTokenizer> RecognisePre(const Json& pre) {
  std::vector<const Json*> steps = {&pre};
  if (pre.value("type", "") == "Sequence" && pre.contains("pretokenizers")) {
    steps.clear();
    for (const Json& step : pre["pretokenizers"]) steps.push_back(&step);
  }
  for (const Json* step : steps) {
    if (step->value("type", "") == "ByteLevel" && step->value("use_regex", false)) {
      return PreTokenizer::kGpt2;
    }
    if (step->value("type", "") != "Split" || !step->contains("pattern")) continue;
    const std::string regex = (*step)["pattern"].value("Regex", "");
    if (!absl::StartsWith(regex, "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|")) {
      continue;
    }
    if (absl::StrContains(regex, "|\\p{N}{1,3}|")) return PreTokenizer::kLlama3;
    if (absl::StrContains(regex, "|\\p{N}|")) return PreTokenizer::kQwen2;
  }
  return std::nullopt;
}

// A special token in tokenizer_config.json: a string, or an object with "content".
std::string SpecialText(const Json& config, const char* key) {
  if (!config.contains(key)) return "";
  const Json& value = config[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object()) return value.value("content", "");
  return "";
}

absl::StatusOr<HfTokenizer> Read(const HfTokenizerOptions& options) {
  auto json = ReadJson(options.tokenizer_json);
  if (!json.ok()) return json.status();
  Json config = Json::object();
  if (!options.tokenizer_config_json.empty()) {
    auto read = ReadJson(options.tokenizer_config_json);
    if (!read.ok()) return read.status();
    config = *std::move(read);
  }
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("'", options.tokenizer_json, "' ", what));
  };
  const Json& model = (*json)["model"];
  if (!model.is_object() || model.value("type", "") != "BPE" || !model.contains("vocab") ||
      !model["vocab"].is_object() || !model.contains("merges") || !model["merges"].is_array()) {
    return bad("has no BPE model with a vocab and merges (only byte-level BPE is supported)");
  }

  HfTokenizer out;
  TokenizerVocab& vocab = out.vocab;
  vocab.model = TokenizerModel::kByteLevelBpe;
  vocab.unknown_id = -1;
  vocab.add_space_prefix = false;
  auto pre = options.pre;
  if (!pre.has_value()) pre = RecognisePre((*json)["pre_tokenizer"]);
  if (!pre.has_value()) {
    return bad(
        absl::StrCat("has a pre-tokenizer this tool does not recognise; name one with "
                     "--pre (",
                     SupportedPreTokenizers(), ")"));
  }
  vocab.pre = *pre;

  absl::flat_hash_map<int, std::pair<std::string, TokenKind>> by_id;
  int max_id = -1;
  for (const auto& [text, id] : model["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int>() < 0) return bad("has a vocab id that is not >= 0");
    by_id[id.get<int>()] = {text, TokenKind::kNormal};
    max_id = std::max(max_id, id.get<int>());
  }
  if (json->contains("added_tokens")) {
    for (const Json& added : (*json)["added_tokens"]) {
      const int id = added.value("id", -1);
      if (id < 0) return bad("has an added token without an id");
      by_id[id] = {added.value("content", ""),
                   added.value("special", false) ? TokenKind::kControl : TokenKind::kUserDefined};
      max_id = std::max(max_id, id);
    }
  }
  for (int id = 0; id <= max_id; ++id) {
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      vocab.tokens.push_back(absl::StrCat("[PAD", id, "]"));
      vocab.kinds.push_back(TokenKind::kUnused);
    } else {
      vocab.tokens.push_back(it->second.first);
      vocab.kinds.push_back(it->second.second);
    }
  }
  for (const Json& merge : model["merges"]) {
    if (merge.is_string()) {
      vocab.merges.push_back(merge.get<std::string>());
    } else if (merge.is_array() && merge.size() == 2) {
      vocab.merges.push_back(
          absl::StrCat(merge[0].get<std::string>(), " ", merge[1].get<std::string>()));
    } else {
      return bad("has a merge that is neither \"a b\" nor [\"a\", \"b\"]");
    }
  }

  auto id_of = [&](const std::string& text) {
    for (size_t id = 0; id < vocab.tokens.size(); ++id) {
      if (vocab.tokens[id] == text) return static_cast<int>(id);
    }
    return -1;
  };
  const std::string eos = SpecialText(config, "eos_token");
  const std::string bos = SpecialText(config, "bos_token");
  vocab.eos_id = eos.empty() ? -1 : id_of(eos);
  if (vocab.eos_id < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the tokenizer config names no eos_token that is in the vocabulary (", eos, ")"));
  }
  vocab.bos_id = bos.empty() ? vocab.eos_id : id_of(bos);
  if (vocab.bos_id < 0) {
    return absl::InvalidArgumentError(absl::StrCat("bos_token '", bos, "' is not a token"));
  }
  vocab.add_bos =
      config.contains("add_bos_token") ? config.value("add_bos_token", false) : !bos.empty();
  for (const char* end_of_turn : {"<|eot_id|>", "<|im_end|>"}) {
    if (const int id = id_of(end_of_turn); id >= 0) {
      vocab.eot_id = id;
      break;
    }
  }
  if (const int id = id_of("<|eom_id|>"); id >= 0) vocab.eom_id = id;
  if (config.contains("chat_template") && config["chat_template"].is_string()) {
    out.chat_template = config["chat_template"].get<std::string>();
  }
  return out;
}

}  // namespace

absl::StatusOr<HfTokenizer> ReadHfTokenizer(const HfTokenizerOptions& options) {
  // A field of the wrong JSON type (a number where a string belongs) throws in nlohmann's
  // getters; it is bad input like any other.
  try {
    return Read(options);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", options.tokenizer_json, "' or its config: ", e.what()));
  }
}

}  // namespace cascade::engine
