#include "services/inference/stop_sequences.h"

#include <algorithm>

namespace cascade::inference {
namespace {

// Bytes at the end of `text` that could begin a stop string.
size_t PossibleStopPrefix(const std::string& text, const std::vector<std::string>& stops) {
  size_t keep = 0;
  for (const std::string& stop : stops) {
    for (size_t n = std::min(stop.size() - 1, text.size()); n > keep; --n) {
      if (text.compare(text.size() - n, n, stop, 0, n) == 0) {
        keep = n;
        break;
      }
    }
  }
  return keep;
}

// Never split a UTF-8 character: move `cut` back to a character boundary.
size_t CharacterBoundary(const std::string& text, size_t cut) {
  while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return cut;
}

}  // namespace

StopSequences::StopSequences(std::vector<std::string> stops) : stops_(std::move(stops)) {
  stops_.erase(std::remove(stops_.begin(), stops_.end(), std::string()), stops_.end());
  for (const auto& stop : stops_) longest_ = std::max(longest_, stop.size());
}

StopSequences::Step StopSequences::Push(const std::string& text) {
  Step step;
  held_ += text;
  if (stops_.empty()) {
    step.emit.swap(held_);
    return step;
  }
  size_t first = std::string::npos;
  for (const auto& stop : stops_) first = std::min(first, held_.find(stop));
  if (first != std::string::npos) {
    step.emit = held_.substr(0, first);
    step.stopped = true;
    held_.clear();
    return step;
  }
  size_t cut = CharacterBoundary(held_, held_.size() - PossibleStopPrefix(held_, stops_));
  step.emit = held_.substr(0, cut);
  held_.erase(0, cut);
  return step;
}

std::string StopSequences::Flush() {
  std::string rest;
  rest.swap(held_);
  return rest;
}

}  // namespace cascade::inference
