#pragma once

// The CLINC150 intent data set (tests/data/clinc150_data_full.json, CC BY 3.0, Larson et
// al. 2019): 150 intents with train/val/test splits and out-of-scope queries.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/router/lib/threshold_fitter.h"

namespace cascade::router::bench {

struct Clinc150 {
  std::vector<LabeledQuery> train, val, test;              // In-scope, labeled by intent.
  std::vector<LabeledQuery> oos_train, oos_val, oos_test;  // Labeled kOutOfScopeLabel.
};

absl::StatusOr<Clinc150> LoadClinc150(const std::string& path);

// The data file in this source tree.
std::string DefaultClinc150Path();

}  // namespace cascade::router::bench
