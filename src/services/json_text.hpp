// json_quote: a string as a JSON string literal (quotes, backslashes and
// control characters escaped; UTF-8 passed through), for the reports the
// runtime writes as JSON.
#pragma once

#include <string>
#include <string_view>

namespace runa::services {

std::string json_quote(std::string_view s);

}  // namespace runa::services
