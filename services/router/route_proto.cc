#include "services/router/route_proto.h"

namespace cascade::router {
namespace {

// The proto's oneof `target` is generated alike in RouteSpec and RouteDecision.
template <typename Message>
void SetTarget(const RouteTarget& target, Message* message) {
  switch (target.kind) {
    case RouteTarget::Kind::kStartTier:
      message->set_start_tier(target.tier);
      break;
    case RouteTarget::Kind::kFixedTier:
      message->set_fixed_tier(target.tier);
      break;
    case RouteTarget::Kind::kNone:
      break;
  }
}

}  // namespace

RouteSpec RouteSpecFromProto(const cascade::v1::RouteSpec& proto) {
  RouteSpec route;
  route.name = proto.name();
  route.utterances.assign(proto.utterances().begin(), proto.utterances().end());
  switch (proto.target_case()) {
    case cascade::v1::RouteSpec::kStartTier:
      route.target = RouteTarget::StartTier(proto.start_tier());
      break;
    case cascade::v1::RouteSpec::kFixedTier:
      route.target = RouteTarget::FixedTier(proto.fixed_tier());
      break;
    case cascade::v1::RouteSpec::TARGET_NOT_SET:
      break;
  }
  route.threshold = proto.threshold();
  return route;
}

cascade::v1::RouteSpec RouteSpecToProto(const RouteSpec& route) {
  cascade::v1::RouteSpec proto;
  proto.set_name(route.name);
  for (const std::string& utterance : route.utterances) proto.add_utterances(utterance);
  SetTarget(route.target, &proto);
  proto.set_threshold(route.threshold);
  return proto;
}

cascade::v1::RouteDecision DecisionToProto(const Decision& decision) {
  cascade::v1::RouteDecision proto;
  proto.set_route(decision.route);
  proto.set_score(decision.score);
  SetTarget(decision.target, &proto);
  proto.set_matched_example(decision.matched_example);
  for (const RouteAlternative& alternative : decision.alternatives) {
    cascade::v1::RouteAlternative* added = proto.add_alternatives();
    added->set_route(alternative.route);
    added->set_score(alternative.score);
  }
  proto.set_below_threshold(decision.below_threshold);
  return proto;
}

cascade::v1::ListRoutesResponse RouteSetToProto(const RouteSet& routes) {
  cascade::v1::ListRoutesResponse proto;
  for (const RouteSpec& route : routes.routes) *proto.add_routes() = RouteSpecToProto(route);
  proto.set_default_route(routes.default_route.name);
  return proto;
}

}  // namespace cascade::router
