#pragma once
// A small, strict command-line parser: `--name value`, `--name=value`, `--flag`, positionals.
// Unknown options are errors (exit code 2), so typos never pass silently.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/core/options.h"
#include "engine/data/images.h"

namespace cx::app {

struct UsageError {
    std::string message;
};

class Args {
public:
    /// `valued`: options that take a value; `flags`: options that do not.
    Args(const std::vector<std::string>& argv, const std::set<std::string>& valued, const std::set<std::string>& flags);

    bool ok() const { return m_error.empty(); }
    const std::string& error() const { return m_error; }
    bool has(const std::string& name) const;
    std::optional<std::string> value(const std::string& name) const;
    std::string value(const std::string& name, const std::string& fallback) const;
    const std::vector<std::string>& positional() const { return m_positional; }

    /// Parsed numbers; set `error` (for exit 2) when the text is not a number.
    std::optional<long long> integer(const std::string& name, long long fallback, std::string& error) const;
    std::optional<double> real(const std::string& name, double fallback, std::string& error) const;

    /// A choice parsed by one of the engine's name tables (engine/core/options.h: parseCriterion,
    /// ...); `fallback` when absent. Sets `error` to the table's message for an unknown name.
    template <typename E, typename Parse>
    E choice(const std::string& name, E fallback, Parse parse, std::string& error) const {
        const auto text = value(name);
        if (!text) return fallback;
        auto parsed = parse(*text);
        if (parsed) return parsed.value();
        if (error.empty()) error = parsed.error().message;
        return fallback;
    }

private:
    std::map<std::string, std::string> m_values;
    std::set<std::string> m_flags;
    std::vector<std::string> m_positional;
    std::string m_error;
};

/// The options every image-reading command shares: --batch-size, --seed, --limit, --resize,
/// --crop, --no-normalize. Sets `error` for a bad value.
void readDataOptions(const Args& args, engine::ImageOptions& images, int64_t& batchSize, uint64_t& seed,
                     std::string& error);

/// --criteria actgrad,snip,...: replaces `criteria` when given; sets `error` for an unknown name
/// or an empty list.
void readCriteria(const Args& args, std::vector<engine::Criterion>& criteria, std::string& error);

}  // namespace cx::app
