#include "engine/model/target.h"

#include <cstdlib>

#include "engine/core/parse_number.h"

namespace cx::engine {
namespace {

bool parseInt(const std::string& s, int64_t& out) {
    const auto v = parseInt64(s);
    if (v) out = *v;
    return v.has_value();
}

}  // namespace

std::string TargetSpec::text() const { return unit >= 0 ? layer + ":" + std::to_string(unit) : layer; }

const char* objectiveName(Objective objective) {
    switch (objective) {
        case Objective::SumAbs: return "sum-abs";
        case Objective::Max: return "max";
        case Objective::Position: return "position";
        case Objective::Mean: return "mean";
        case Objective::Sum: return "sum";
    }
    return "?";
}

std::string objectiveText(const TargetSpec& t) {
    if (t.objective != Objective::Position) return objectiveName(t.objective);
    return "position:" + std::to_string(t.positionH) + "," + std::to_string(t.positionW);
}

Result<TargetSpec> parseTarget(const std::string& text) {
    TargetSpec t;
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) {
        t.layer = text;
    } else {
        t.layer = text.substr(0, colon);
        if (!parseInt(text.substr(colon + 1), t.unit) || t.unit < 0)
            return invalidInput("target '" + text + "': the unit after ':' must be a non-negative integer");
    }
    if (t.layer.empty()) return invalidInput("target '" + text + "' names no layer (expected LAYER:UNIT)");
    return t;
}

Status parseObjective(const std::string& text, TargetSpec& t) {
    for (Objective o : {Objective::SumAbs, Objective::Max, Objective::Mean, Objective::Sum})
        if (text == objectiveName(o)) {
            t.objective = o;
            return Done{};
        }
    const std::string prefix = "position:";
    if (text.rfind(prefix, 0) == 0) {
        const std::string rest = text.substr(prefix.size());
        const auto comma = rest.find(',');
        int64_t h = 0, w = 0;
        const bool ok = comma == std::string::npos ? parseInt(rest, h)
                                                   : parseInt(rest.substr(0, comma), h) && parseInt(rest.substr(comma + 1), w);
        if (!ok || h < 0 || w < 0) return invalidInput("objective '" + text + "': expected position:H,W with non-negative integers");
        t.objective = Objective::Position;
        t.positionH = h;
        t.positionW = w;
        return Done{};
    }
    return invalidInput("unknown objective '" + text + "' (sum-abs, max, mean, sum, position:H,W)");
}

Result<int> resolveTarget(const ModelSummary& summary, const TargetSpec& t) {
    const int index = summary.indexOf(t.layer);
    if (index < 0) {
        std::string names;
        for (const auto& l : summary.layers) names += (names.empty() ? "" : ", ") + l.name;
        return invalidInput("no layer '" + t.layer + "' in the model; layers: " + names);
    }
    const auto& layer = summary.layers[static_cast<size_t>(index)];
    if (layer.inControlFlow) return invalidInput("layer '" + t.layer + "' is inside control flow and cannot be a target");
    if (t.unit >= 0) {
        if (t.unit >= layer.outChannels)
            return invalidInput("unit " + std::to_string(t.unit) + " is out of range for layer '" + t.layer + "' (units 0.." +
                                std::to_string(layer.outChannels - 1) + ")");
        return index;
    }
    if (t.direction.empty()) return invalidInput("target '" + t.layer + "' needs a unit (LAYER:UNIT) or a direction");
    if (static_cast<int64_t>(t.direction.size()) != layer.outChannels)
        return invalidInput("the direction has " + std::to_string(t.direction.size()) + " coefficients but layer '" + t.layer +
                            "' has " + std::to_string(layer.outChannels) + " output channels");
    bool nonzero = false;
    for (double d : t.direction) nonzero = nonzero || d != 0.0;
    if (!nonzero) return invalidInput("the direction for layer '" + t.layer + "' is all zeros");
    return index;
}

}  // namespace cx::engine
