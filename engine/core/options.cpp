#include "engine/core/options.h"

#include <optional>
#include <utility>

namespace cx::engine {
namespace {

template <typename E>
using Table = std::vector<std::pair<E, const char*>>;

// The first name of a value is its name; later ones are accepted spellings.
const Table<Criterion> kCriteria = {{Criterion::ActGrad, "actgrad"},
                                    {Criterion::Snip, "snip"},
                                    {Criterion::Force, "force"},
                                    {Criterion::Magnitude, "magnitude"},
                                    {Criterion::Random, "random"}};
const Table<Granularity> kGranularities = {{Granularity::Kernel, "kernel"},
                                           {Granularity::Filter, "filter"},
                                           {Granularity::Filter, "neuron"},
                                           {Granularity::Weight, "weight"},
                                           {Granularity::Head, "head"}};
const Table<BiasMode> kBiasModes = {{BiasMode::Masked, "masked"}, {BiasMode::Pruned, "pruned"}};
const Table<MaskMethod> kMaskMethods = {{MaskMethod::ContinuousSparsification, "cs"}, {MaskMethod::HardConcrete, "hc"}};
const Table<Ablation> kAblations = {{Ablation::None, "none"},
                                    {Ablation::ZeroAblate, "zero_ablate"},
                                    {Ablation::RandomAblate, "random_ablate"},
                                    {Ablation::RandomlySampled, "randomly_sampled"}};
const Table<PearsonMode> kPearsonModes = {
    {PearsonMode::Flattened, "flattened"}, {PearsonMode::ImageMean, "image-mean"}, {PearsonMode::ImageMax, "image-max"}};
const Table<OverlapBy> kOverlapLevels = {{OverlapBy::Layer, "layer"}, {OverlapBy::Block, "block"}, {OverlapBy::Tensor, "tensor"}};

template <typename E>
const char* nameIn(const Table<E>& table, E value) {
    for (const auto& [v, name] : table)
        if (v == value) return name;
    return "?";
}

template <typename E>
std::optional<E> find(const Table<E>& table, const std::string& text) {
    for (const auto& [v, name] : table)
        if (text == name) return v;
    return std::nullopt;
}

// "a, b, c" (or "a or b" with `separator` " or ").
template <typename E>
std::string choices(const Table<E>& table, const std::string& separator = ", ") {
    std::string out;
    for (const auto& entry : table) out += (out.empty() ? "" : separator) + std::string(entry.second);
    return out;
}

template <typename E>
Result<E> parse(const Table<E>& table, const std::string& text, const std::string& what) {
    if (auto v = find(table, text)) return *v;
    return invalidInput("unknown " + what + " '" + text + "' (" + choices(table) + ")");
}

}  // namespace

const char* nameOf(Criterion value) { return nameIn(kCriteria, value); }
const char* nameOf(Granularity value) { return nameIn(kGranularities, value); }
const char* nameOf(BiasMode value) { return nameIn(kBiasModes, value); }
const char* nameOf(MaskMethod value) { return nameIn(kMaskMethods, value); }
const char* nameOf(Ablation value) { return nameIn(kAblations, value); }
const char* nameOf(PearsonMode value) { return nameIn(kPearsonModes, value); }
const char* nameOf(OverlapBy value) { return nameIn(kOverlapLevels, value); }

Result<Criterion> parseCriterion(const std::string& text) { return parse(kCriteria, text, "criterion"); }
Result<Granularity> parseGranularity(const std::string& text) { return parse(kGranularities, text, "granularity"); }
Result<Ablation> parseAblation(const std::string& text) { return parse(kAblations, text, "ablation"); }
Result<PearsonMode> parsePearsonMode(const std::string& text) { return parse(kPearsonModes, text, "Pearson mode"); }
Result<OverlapBy> parseOverlapBy(const std::string& text) { return parse(kOverlapLevels, text, "overlap level"); }

// These two keep the wording cx has always used for them.
Result<BiasMode> parseBiasMode(const std::string& text) {
    if (auto v = find(kBiasModes, text)) return *v;
    return invalidInput("bias mode must be " + choices(kBiasModes, " or ") + ", not '" + text + "'");
}

Result<MaskMethod> parseMaskMethod(const std::string& text) {
    if (auto v = find(kMaskMethods, text)) return *v;
    return invalidInput("method must be " + choices(kMaskMethods, " or ") + ", not '" + text + "'");
}

const std::vector<Criterion>& allCriteria() {
    static const std::vector<Criterion> all = [] {
        std::vector<Criterion> out;
        for (const auto& entry : kCriteria) out.push_back(entry.first);
        return out;
    }();
    return all;
}

}  // namespace cx::engine
