// Chat templates against the reference (issue 20): a 3-turn conversation with a system
// message, rendered by our native family renderer from the family we recognise in the file's
// own template, gives the token ids that the template itself, rendered by a real Jinja engine
// and tokenized by llama.cpp, gives (llama_cpp_chat_reference.mjs). Files: random models
// with the real Llama 3 and Qwen 3 tokenizers and templates.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/inference/engine/chat_template.h"
#include "services/inference/engine/model.h"
#include "tests/conformance/llama_cpp_chat_reference.h"
#include "tests/conformance/llama_cpp_reference.h"
#include "tests/conformance/tiny_model.h"
#include "tests/conformance/work_dir.h"

namespace cascade::conformance {
namespace {

using engine::ChatMessage;
using engine::ChatTemplate;

struct Family {
  std::string name;
  std::string package;
  std::string expected_template;  // the family we should recognise
};
void PrintTo(const Family& family, std::ostream* out) { *out << family.name; }

const std::vector<std::pair<std::string, std::string>>& Conversation() {
  static const auto* messages = new std::vector<std::pair<std::string, std::string>>{
      {"system", "You are a terse assistant. Answer in one line."},
      {"user", "What is the capital of France?"},
      {"assistant", "Paris."},
      {"user", "And of Japan? Answer with its name in 日本語, please."},
      {"assistant", "東京 (Tokyo)."},
      {"user", "Thanks!  Now count: 1, 22, 333."},
  };
  return *messages;
}

class ChatTemplateConformance : public ::testing::TestWithParam<Family> {};

TEST_P(ChatTemplateConformance, RendersTheFilesTemplateAsLlamaCppTokenizesIt) {
  WorkDir dir("chat_conformance");
  auto node_modules = FindNodeModules(dir.path());
  ASSERT_TRUE(node_modules.ok()) << node_modules.status();
  auto path = WriteTinyModel({.name = GetParam().name,
                              .dir = dir.path(),
                              .node_modules = *node_modules,
                              .tokenizer_package = GetParam().package});
  ASSERT_TRUE(path.ok()) << path.status();
  auto reference = RunLlamaCppChat(*node_modules, *path, Conversation(), dir.path());
  ASSERT_TRUE(reference.ok()) << reference.status();

  auto model = engine::Model::Load(*path);
  ASSERT_TRUE(model.ok()) << model.status();
  const engine::Tokenizer& tokenizer = (*model)->tokenizer();
  auto chat_template = ChatTemplate::Recognize(tokenizer.chat_template_source());
  ASSERT_TRUE(chat_template.has_value()) << tokenizer.chat_template_source();
  EXPECT_EQ(chat_template->name(), GetParam().expected_template);

  std::vector<ChatMessage> messages;
  for (const auto& [role, content] : Conversation()) messages.push_back({role, content});
  const engine::RenderedChat rendered = chat_template->Render(
      messages, /*add_generation_prompt=*/true, tokenizer.token_text(tokenizer.bos_id()),
      tokenizer.token_text(tokenizer.eos_id()));
  auto ids = tokenizer.EncodeWithMarkup(rendered.text, rendered.markup);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, reference->ids) << "reference rendering:\n"
                                  << reference->rendered << "\nours:\n"
                                  << rendered.text;
  std::cout << absl::StrFormat(
      "conformance: %s chat template (%s) vs the file's Jinja template + llama.cpp: %d "
      "messages, %d/%d token ids equal\n",
      GetParam().name, chat_template->name(), Conversation().size(),
      *ids == reference->ids ? ids->size() : 0, reference->ids.size());
}

INSTANTIATE_TEST_SUITE_P(Families, ChatTemplateConformance,
                         ::testing::Values(Family{"Llama3", "tokenizer-llama3", "llama3"},
                                           Family{"Qwen3", "tokenizer-qwen3", "chatml"}),
                         [](const ::testing::TestParamInfo<Family>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace cascade::conformance
