#include "app/cli/args.h"

#include <algorithm>
#include <cstdlib>

#include "engine/core/parse_number.h"

namespace cx::app {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& valued, const std::set<std::string>& flags) {
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a.size() < 3 || a.compare(0, 2, "--") != 0) {
            m_positional.push_back(a);
            continue;
        }
        std::string name = a.substr(2), value;
        const auto eq = name.find('=');
        const bool inlineValue = eq != std::string::npos;
        if (inlineValue) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (flags.count(name) && !inlineValue) {
            m_flags.insert(name);
        } else if (valued.count(name)) {
            if (!inlineValue) {
                if (i + 1 >= argv.size()) {
                    m_error = "option --" + name + " needs a value";
                    return;
                }
                value = argv[++i];
            }
            m_values[name] = value;
        } else {
            m_error = "unknown option --" + name;
            return;
        }
    }
}

bool Args::has(const std::string& name) const { return m_flags.count(name) || m_values.count(name); }

std::optional<std::string> Args::value(const std::string& name) const {
    auto it = m_values.find(name);
    if (it == m_values.end()) return std::nullopt;
    return it->second;
}

std::string Args::value(const std::string& name, const std::string& fallback) const {
    return value(name).value_or(fallback);
}

std::optional<long long> Args::integer(const std::string& name, long long fallback, std::string& error) const {
    auto text = value(name);
    if (!text) return fallback;
    const auto v = engine::parseInt64(*text);
    if (!v) {
        error = "--" + name + " expects an integer, got '" + *text + "'";
        return std::nullopt;
    }
    return *v;
}

std::optional<double> Args::real(const std::string& name, double fallback, std::string& error) const {
    auto text = value(name);
    if (!text) return fallback;
    const auto v = engine::parseFinite(*text);
    if (!v) {  // nan and inf mean nothing for any option
        error = "--" + name + " expects a finite number, got '" + *text + "'";
        return std::nullopt;
    }
    return *v;
}

void readDataOptions(const Args& args, engine::ImageOptions& images, int64_t& batchSize, uint64_t& seed,
                     std::string& error) {
    batchSize = args.integer("batch-size", batchSize, error).value_or(0);
    seed = static_cast<uint64_t>(args.integer("seed", static_cast<long long>(seed), error).value_or(0));
    images.limit = args.integer("limit", 0, error).value_or(0);
    // Clamped before the narrowing, so that 2^32 + 224 is refused below, not read as 224.
    auto side = [&](const char* name, int fallback) {
        const long long v = args.integer(name, fallback, error).value_or(0);
        return static_cast<int>(std::clamp<long long>(v, -1, engine::kMaxImageSide + 1));
    };
    images.resize = side("resize", images.resize);
    images.crop = side("crop", images.crop);
    images.normalize = !args.has("no-normalize");
    if (error.empty() && batchSize < 1) error = "--batch-size must be at least 1";
    if (error.empty() && images.limit < 0) error = "--limit must be 0 (all) or a count of inputs";
    for (const auto& [name, side] : {std::pair{"resize", images.resize}, std::pair{"crop", images.crop}})
        if (error.empty() && (side < 0 || side > engine::kMaxImageSide))
            error = std::string("--") + name + " must be 0 (none) or a side of at most " + std::to_string(engine::kMaxImageSide) +
                    " pixels";
}

void readCriteria(const Args& args, std::vector<engine::Criterion>& criteria, std::string& error) {
    const auto list = args.value("criteria");
    if (!list) return;
    criteria.clear();
    size_t start = 0;
    while (start <= list->size()) {
        const size_t comma = std::min(list->find(',', start), list->size());
        const std::string item = list->substr(start, comma - start);
        start = comma + 1;
        if (item.empty()) continue;
        auto criterion = engine::parseCriterion(item);
        if (!criterion) {
            if (error.empty()) error = criterion.error().message;
            return;
        }
        criteria.push_back(criterion.value());
    }
    if (criteria.empty() && error.empty()) error = "no criteria given";
}

}  // namespace cx::app
