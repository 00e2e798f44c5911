#include "engine/text/token_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cx::engine {

std::string htmlEscaped(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

namespace {

std::string piece(const Tokenizer& t, int64_t id) {
    std::string s = t.decode({id});
    return s.empty() ? t.tokenText(id) : s;
}

bool spaced(const Tokenizer& t) { return t.kind() != Tokenizer::Kind::ByteLevelBpe; }

}  // namespace

std::string tokenHtml(const Tokenizer& t, const std::vector<int64_t>& ids, const std::vector<double>& values, int64_t anchor,
                      double scale) {
    std::string html;
    for (size_t i = 0; i < ids.size(); ++i) {
        const double v = i < values.size() ? values[i] : 0.0;
        const double a = std::min(1.0, std::abs(v) / std::max(std::abs(scale), 1e-12));
        // Blended over white: orange (255, 140, 0) or blue (60, 120, 255).
        const int r = v >= 0 ? 255 : int(255 - 195 * a), g = v >= 0 ? int(255 - 115 * a) : int(255 - 135 * a),
                  b = v >= 0 ? int(255 - 255 * a) : 255;
        char head[160];
        std::snprintf(head, sizeof head, "<span title=\"%.4f\" style=\"background-color:#%02x%02x%02x;%s\">", v, r, g, b,
                      int64_t(i) == anchor ? "font-weight:bold;text-decoration:underline" : "");
        if (i > 0 && spaced(t)) html += " ";
        html += head + htmlEscaped(piece(t, ids[i])) + "</span>";
    }
    return html;
}

std::string plainTokenHtml(const Tokenizer& t, const std::vector<int64_t>& ids, int64_t anchor) {
    std::string html;
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i > 0 && spaced(t)) html += " ";
        const std::string text = htmlEscaped(piece(t, ids[i]));
        html += int64_t(i) == anchor ? "<b><u>" + text + "</u></b>" : text;
    }
    return html;
}

}  // namespace cx::engine
