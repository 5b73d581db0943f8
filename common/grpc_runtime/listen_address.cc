#include "common/grpc_runtime/listen_address.h"

#include <charconv>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cascade {

std::string ListenAddress::ToGrpcTarget() const {
  if (is_unix) return absl::StrCat("unix:", unix_path);
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view text, absl::string_view what) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": '", text, "' is not an address (", why,
                                                   "); use HOST:PORT or unix:PATH"));
  };
  ListenAddress address;
  if (absl::StartsWith(text, "unix:")) {
    address.is_unix = true;
    address.unix_path = std::string(text.substr(5));
    if (address.unix_path.empty()) return invalid("empty socket path");
    return address;
  }
  size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return invalid("no port");
  absl::string_view host = text.substr(0, colon);
  absl::string_view port = text.substr(colon + 1);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  } else if (absl::StrContains(host, ':')) {
    return invalid("put an IPv6 host in brackets");
  }
  if (host.empty()) return invalid("no host");
  int value = -1;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value < 0 || value > 65535) {
    return invalid("port must be 0..65535");
  }
  address.host = std::string(host);
  address.port = value;
  return address;
}

}  // namespace cascade
