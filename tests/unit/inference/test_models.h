// Shared helpers for the engine tests: the bundled bard models (loaded once per test binary),
// temporary files, and tiny random models.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "services/inference/engine/gguf_writer.h"
#include "services/inference/engine/model.h"
#include "services/inference/engine/quantize.h"
#include "services/inference/engine/random_model.h"

namespace cascade::engine::testing {

inline std::string ModelPath(const std::string& name) {
  return std::string(CASCADE_SOURCE_DIR) + "/models/" + name;
}

inline std::shared_ptr<const Model> LoadOrDie(const std::string& path) {
  auto model = Model::Load(path);
  if (!model.ok()) {
    ADD_FAILURE() << model.status();
    std::abort();
  }
  return *model;
}

inline std::shared_ptr<const Model> Target() {
  static const auto* model =
      new std::shared_ptr<const Model>(LoadOrDie(ModelPath("bard-target-3m.gguf")));
  return *model;
}

inline std::shared_ptr<const Model> Draft() {
  static const auto* model =
      new std::shared_ptr<const Model>(LoadOrDie(ModelPath("bard-draft-0.5m.gguf")));
  return *model;
}

// A file in the test's temporary directory, removed when this object goes away.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(::testing::TempDir() + "/" + std::to_string(::getpid()) + "_" + name) {}
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }
  void Write(const std::string& bytes) const {
    std::ofstream(path_, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

 private:
  std::string path_;
};

// A copy of `source` with its matrices converted to `type`, written to `file` and loaded.
inline std::shared_ptr<const Model> QuantizedCopy(const std::string& source, TensorType type,
                                                  const TempFile& file) {
  auto in = GgufFile::Open(source);
  EXPECT_TRUE(in.ok()) << in.status();
  GgufWriter writer;
  EXPECT_TRUE(QuantizeModel(**in, type, writer).ok());
  EXPECT_TRUE(writer.WriteFile(file.path()).ok());
  return LoadOrDie(file.path());
}

// A small random llama model; with `vocab` it shares that tokenizer.
inline std::shared_ptr<const Model> TinyModel(const TempFile& file, const TokenizerVocab* vocab,
                                              int vocab_size = 300, uint64_t seed = 7) {
  RandomModelSpec spec;
  spec.config.dim = 32;
  spec.config.layers = 1;
  spec.config.heads = 4;
  spec.config.kv_heads = 2;
  spec.config.ffn_dim = 64;
  spec.config.vocab_size = vocab_size;
  spec.config.context_length = 256;
  spec.vocab = vocab;
  spec.seed = seed;
  spec.name = "tiny";
  GgufWriter writer;
  EXPECT_TRUE(WriteRandomModel(spec, writer).ok());
  EXPECT_TRUE(writer.WriteFile(file.path()).ok());
  return LoadOrDie(file.path());
}

}  // namespace cascade::engine::testing
