#pragma once

// A config's google.protobuf.Duration as an absl::Duration, exactly (seconds and nanos).

#include <google/protobuf/duration.pb.h>

#include "absl/time/time.h"

namespace cascade {

inline absl::Duration DurationFromProto(const google::protobuf::Duration& duration) {
  return absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
}

}  // namespace cascade
