#include "engine/diagram/layer_blocks.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace cx::engine {
namespace {

std::vector<std::string> componentsOf(const std::string& path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        const size_t dot = path.find('.', start);
        parts.push_back(path.substr(start, dot - start));
        if (dot == std::string::npos) return parts;
        start = dot + 1;
    }
}

bool isIndex(const std::string& name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); });
}

// The name with each number and the letters after it replaced by '#': "Mixed_5b" -> "Mixed_#",
// "Conv2d_1a_3x3" -> "Conv#_#_#" (inception modules run 5b, 5c, ..., 6e, 7a).
std::string digitPattern(const std::string& name) {
    std::string out;
    for (size_t i = 0; i < name.size();) {
        if (!std::isdigit(static_cast<unsigned char>(name[i]))) {
            out += name[i++];
            continue;
        }
        out += '#';
        while (i < name.size() && std::isalnum(static_cast<unsigned char>(name[i]))) ++i;
    }
    return out;
}

// The module tree the layer paths imply: how many layers each module holds, and its children.
class ModuleTree {
public:
    explicit ModuleTree(const std::vector<std::string>& layers) {
        for (const auto& layer : layers) {
            const auto parts = componentsOf(layer);
            std::string prefix;
            for (size_t k = 0; k < parts.size(); ++k) {
                const std::string parent = prefix;
                prefix = k == 0 ? parts[0] : prefix + "." + parts[k];
                ++m_holds[prefix];
                m_children[parent].insert(parts[k]);
            }
        }
    }

    int holds(const std::string& module) const {
        auto it = m_holds.find(module);
        return it == m_holds.end() ? 0 : it->second;
    }
    const std::set<std::string>& children(const std::string& module) const {
        static const std::set<std::string> none;
        auto it = m_children.find(module);
        return it == m_children.end() ? none : it->second;
    }

    /// One of a numbered series: an index, or a digit pattern a sibling shares.
    bool inSeries(const std::string& parent, const std::string& name) const {
        if (isIndex(name)) return true;
        const std::string pattern = digitPattern(name);
        if (pattern == name) return false;  // no digits
        for (const auto& sibling : children(parent))
            if (sibling != name && digitPattern(sibling) == pattern) return true;
        return false;
    }

    /// Every child holding layers is an index holding two or more.
    bool isStage(const std::string& module) const {
        const auto& kids = children(module);
        if (kids.empty()) return false;
        for (const auto& kid : kids)
            if (!isIndex(kid) || holds(module + "." + kid) < 2) return false;
        return true;
    }

private:
    std::map<std::string, int> m_holds;
    std::map<std::string, std::set<std::string>> m_children;
};

}  // namespace

std::vector<std::string> layerBlocks(const std::vector<std::string>& layers) {
    const ModuleTree tree(layers);
    std::vector<std::string> blocks;
    blocks.reserve(layers.size());
    for (const auto& layer : layers) {
        const auto parts = componentsOf(layer);
        std::string block = layer, prefix, parent;
        size_t depth = parts.size();  // components of the block found, if any
        for (size_t k = 0; k + 1 < parts.size(); ++k) {
            parent = prefix;
            prefix = k == 0 ? parts[0] : prefix + "." + parts[k];
            if (tree.inSeries(parent, parts[k]) && tree.holds(prefix) >= 2) {
                block = prefix;
                depth = k + 1;
                break;
            }
        }
        // A stage of indexed blocks: the block is one level down (never the layer itself).
        while (depth + 1 < parts.size() && tree.isStage(block)) block += "." + parts[depth++];
        blocks.push_back(block);
    }
    return blocks;
}

}  // namespace cx::engine
