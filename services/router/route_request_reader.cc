#include "services/router/route_request_reader.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "cascade/v1/router.pb.h"

namespace cascade::router {

absl::StatusOr<std::string> ReadRouteRequestQuery(absl::string_view serialized) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(serialized.data()),
                                               static_cast<int>(serialized.size()));
  std::string query;
  while (true) {
    const uint32_t tag = input.ReadTag();
    if (tag == 0) break;  // End of the message (or a malformed tag: checked below).
    if (WireFormatLite::GetTagFieldNumber(tag) == cascade::v1::RouteRequest::kQueryFieldNumber &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      // Last one wins, as in protobuf's own parser.
      if (!WireFormatLite::ReadBytes(&input, &query)) break;
      continue;
    }
    if (!WireFormatLite::SkipField(&input, tag)) break;
  }
  if (!input.ConsumedEntireMessage() ||
      input.CurrentPosition() != static_cast<int>(serialized.size())) {
    return absl::InvalidArgumentError("request is not a valid cascade.v1.RouteRequest");
  }
  return query;
}

}  // namespace cascade::router
