#pragma once
// A small, strict command-line parser: `--name value`, `--name=value`, `--flag`, positionals.
// Unknown options are errors (exit code 2), so typos never pass silently.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/images.h"

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

}  // namespace cx::app
