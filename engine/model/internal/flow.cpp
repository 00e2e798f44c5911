#include "engine/model/internal/flow.h"

#include <algorithm>

namespace cx::engine {

bool sameSegment(const InputSegment& a, const InputSegment& b) {
    return a.source == b.source && a.channelOffset == b.channelOffset && a.channels == b.channels &&
           a.sourceOffset == b.sourceOffset && a.sourceChannels == b.sourceChannels && a.mode == b.mode;
}

void appendUnique(std::vector<InputSegment>& to, const std::vector<InputSegment>& from) {
    for (const auto& s : from)
        if (std::none_of(to.begin(), to.end(), [&](const InputSegment& t) { return sameSegment(s, t); }))
            to.push_back(s);
}

namespace {

// A dense segment over every channel ("all reads all", span unknown) stays that way under any
// slicing or permutation.
bool denseOverAll(const InputSegment& s) { return s.mode == FlowMode::Dense && s.channels < 0; }

bool exactSpans(const Flow& in) {
    if (in.channels < 0 || in.scale != 1) return false;
    for (const auto& s : in.segs)
        if (!denseOverAll(s) && (s.channels < 0 || s.mode == FlowMode::Expand)) return false;
    return true;
}

Flow emptyLike(const Flow& in, int64_t channels) {
    Flow out = in;
    out.channels = channels;
    out.outerSize = 0;
    out.innerDim = -1;
    out.segs.clear();
    return out;
}

}  // namespace

std::optional<Flow> sliceChannels(const Flow& in, int64_t start, int64_t length) {
    if (in.channels < 0 || start < 0 || length < 0 || start + length > in.channels) return std::nullopt;
    std::vector<int64_t> indices(static_cast<size_t>(length));
    for (int64_t j = 0; j < length; ++j) indices[static_cast<size_t>(j)] = start + j;
    return gatherChannels(in, indices);
}

std::optional<Flow> gatherChannels(const Flow& in, const std::vector<int64_t>& indices) {
    if (!exactSpans(in) || in.split()) return std::nullopt;
    for (int64_t i : indices)
        if (i < 0 || i >= in.channels) return std::nullopt;
    Flow out = emptyLike(in, static_cast<int64_t>(indices.size()));
    for (const auto& s : in.segs) {
        if (denseOverAll(s)) {
            out.segs.push_back(s);
            continue;
        }
        // The new positions that read this segment, as runs of consecutive positions whose
        // source channels are consecutive too (identity) or that share the source span (dense).
        std::vector<std::pair<int64_t, int64_t>> moved;  // (new channel, offset within segment)
        for (size_t j = 0; j < indices.size(); ++j) {
            const int64_t k = indices[j] - s.channelOffset;
            if (k >= 0 && k < s.channels) moved.push_back({static_cast<int64_t>(j), k});
        }
        for (size_t i = 0; i < moved.size();) {
            size_t j = i + 1;
            while (j < moved.size() && moved[j].first == moved[j - 1].first + 1 &&
                   (s.mode == FlowMode::Dense || moved[j].second == moved[j - 1].second + 1))
                ++j;
            InputSegment piece = s;
            piece.channelOffset = moved[i].first;
            piece.channels = static_cast<int64_t>(j - i);
            if (s.mode == FlowMode::Identity) {
                piece.sourceOffset = s.sourceOffset + moved[i].second;
                piece.sourceChannels = piece.channels;
            }
            out.segs.push_back(piece);
            i = j;
        }
    }
    return out;
}

std::vector<int64_t> shuffleOrder(int64_t channels, int64_t groups) {
    // x.view(b, groups, c / groups, ...).transpose(1, 2): position r * groups + g holds
    // channel g * (c / groups) + r.
    const int64_t inner = channels / groups;
    std::vector<int64_t> newToOld(static_cast<size_t>(channels));
    for (int64_t r = 0; r < inner; ++r)
        for (int64_t g = 0; g < groups; ++g) newToOld[static_cast<size_t>(r * groups + g)] = g * inner + r;
    return newToOld;
}

std::optional<Flow> mergeSplitChannels(const Flow& in, bool innerFirst) {
    if (!in.split()) return std::nullopt;
    Flow joined = in;
    joined.outerSize = 0;
    joined.innerDim = -1;
    if (!innerFirst) return joined;
    return gatherChannels(joined, shuffleOrder(in.channels, in.outerSize));
}

}  // namespace cx::engine
