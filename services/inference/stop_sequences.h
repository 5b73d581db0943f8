#pragma once

// Stops generation at the first of the request's stop strings, the way OpenAI's `stop`
// works: the stop string and everything after it are not returned. Text that might be
// the start of a stop string is held back until the next token settles it, so a streamed
// answer never shows the beginning of a stop string.

#include <string>
#include <vector>

namespace cascade::inference {

class StopSequences {
 public:
  explicit StopSequences(std::vector<std::string> stops);

  struct Step {
    std::string emit;      // Text that is now safe to show.
    bool stopped = false;  // A stop string matched; generation must end.
  };

  // Adds a token's text and says what may be shown.
  Step Push(const std::string& text);
  // At the end of generation: whatever was held back.
  std::string Flush();

 private:
  std::vector<std::string> stops_;
  size_t longest_ = 0;
  std::string held_;  // Shown-not-yet text that may begin a stop string.
};

}  // namespace cascade::inference
