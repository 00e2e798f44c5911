#pragma once
// Where the channels of one tensor value come from, and the exact channel algebra of the ops
// that slice, split, permute and merge channels (chunk, split, narrow, channel shuffle).
#include <cstdint>
#include <optional>
#include <vector>

#include "engine/model/layer_info.h"

namespace cx::engine {

/// Offsets and counts are in channel units of the value before any flatten; `scale` is the
/// number of features each such channel became after a flatten (0: not yet known, resolved by
/// the consuming layer's input size).
struct Flow {
    int channelDim = 1;        // >= 0 from the front, -1 = last dimension
    int rank = -1;             // -1 unknown
    int64_t channels = -1;     // -1 unknown
    int64_t scale = 1;
    // The channel dimension viewed as two (x.view(b, g, c / g, h, w)): channel c lives at
    // (c / inner, c % inner) with the outer index at dimension `channelDim` and the inner at
    // `innerDim`; transposes move either. 0: not split.
    int64_t outerSize = 0;
    int innerDim = -1;
    // The model's input: its layout is whatever the first layer reads (a view, transpose or
    // flatten before that layer keeps it so).
    bool freeLayout = false;
    // Where the examples lie: a dimension, kExamplesMergedMajor / kExamplesMergedMinor (rows of
    // a 2-D view), or kExamplesUnknown.
    int batchDim = 0;
    std::vector<InputSegment> segs;

    bool split() const { return outerSize > 0; }
    int64_t innerSize() const { return outerSize > 0 ? channels / outerSize : 0; }
};

bool sameSegment(const InputSegment& a, const InputSegment& b);

/// Union of segment lists (a residual add or a merge of branches reads both sides once).
void appendUnique(std::vector<InputSegment>& to, const std::vector<InputSegment>& from);

/// Channels [start, start + length) of `in` renumbered from 0; nullopt when a segment's span
/// is unknown (then the caller falls back to a conservative flow).
std::optional<Flow> sliceChannels(const Flow& in, int64_t start, int64_t length);

/// Channel j of the result is channel indices[j] of `in` (a slice, a permutation, a strided
/// pick); nullopt when a span is unknown.
std::optional<Flow> gatherChannels(const Flow& in, const std::vector<int64_t>& indices);

/// The order a channel shuffle into `groups` leaves: result channel j is input channel
/// order[j].
std::vector<int64_t> shuffleOrder(int64_t channels, int64_t groups);

/// Merges the two halves of a split channel dimension back into one, in the order they now
/// stand (outer before inner: the original order; inner before outer: a channel shuffle).
std::optional<Flow> mergeSplitChannels(const Flow& in, bool innerFirst);

}  // namespace cx::engine
