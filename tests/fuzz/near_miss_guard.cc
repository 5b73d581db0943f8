// Fuzzes the answer cache's near-miss guard (services/cache/lib/near_miss_guard.h) on two
// texts (the input split at its first NUL): any bytes, UTF-8 or not. The verdict is the
// same both ways round, a text is never refused against itself, a refusal always says why,
// and with every check off nothing is refused.
#include "services/cache/lib/near_miss_guard.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using cascade::cache::NearMissCheck;
using cascade::cache::NearMissGuard;
using cascade::cache::NearMissGuardOptions;
using cascade::cache::NearMissVerdict;

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const size_t split = bytes.find('\0');
  const std::string a = bytes.substr(0, split);
  const std::string b = split == std::string::npos ? std::string() : bytes.substr(split + 1);

  const NearMissGuard guard;
  const NearMissVerdict forward = guard.Check(a, b);
  const NearMissVerdict backward = guard.Check(b, a);
  Check(forward.refused_by == backward.refused_by);
  Check(forward.refused() == !forward.reason.empty());
  Check(!guard.Check(a, a).refused());
  Check(!guard.Check(b, b).refused());
  Check(NearMissGuard(NearMissGuardOptions::AllOff()).Check(a, b).refused_by ==
        NearMissCheck::kNone);
  return 0;
}
