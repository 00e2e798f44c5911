#pragma once
// Token sequences as HTML with every token coloured by a neuron's value (white to orange for
// positive values, to blue for negative ones, full at `scale`), the anchor bold and underlined;
// the colours are opaque, so Qt's rich text and any browser show the same. Plain C++.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/text/tokenizer.h"

namespace cx::engine {

/// HTML-escaped text.
std::string htmlEscaped(const std::string& text);

/// One sequence: a span per token with its value as the tooltip.
std::string tokenHtml(const Tokenizer& tokenizer, const std::vector<int64_t>& ids, const std::vector<double>& values,
                      int64_t anchor, double scale);

/// The text of ids[begin, end) with the anchor bold (no colours), for tables.
std::string plainTokenHtml(const Tokenizer& tokenizer, const std::vector<int64_t>& ids, int64_t anchor);

}  // namespace cx::engine
