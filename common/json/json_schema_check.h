#pragma once

// Does a JSON value satisfy a JSON Schema? The subset models and tool definitions use in
// practice (OpenAI's function parameters, structured outputs): type (one or a list),
// enum, const, properties, required, additionalProperties (false or a schema), items,
// minItems/maxItems, minLength/maxLength, minimum/maximum/exclusiveMinimum/
// exclusiveMaximum, anyOf/oneOf/allOf, and local $ref ("#/$defs/X", "#/definitions/X").
// Keywords outside the subset (pattern, format, ...) are not checked: a value can pass a
// schema it would fail in a full validator, never the other way round.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace cascade {

// nullopt when `value` satisfies `schema`; else where and why it does not, e.g.
// "$.location: is missing (required)" or "$.unit: \"kelvin\" is not one of the enum".
std::optional<std::string> JsonSchemaViolation(const nlohmann::json& value,
                                               const nlohmann::json& schema);

}  // namespace cascade
