#pragma once
// Dataset examples of a token model's neurons: over a corpus, the windows that most activate each
// unit of a layer, each with its anchor token (the position of the unit's largest value), for
// every unit of the layer in one batched pass. Plain C++: the GUI includes it.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/model/workspace.h"
#include "engine/text/token_corpus.h"

namespace cx::engine {

struct TokenExample {
    int64_t window = -1;    // index in the TokenCorpus
    int64_t anchor = 0;     // the position of the unit's largest value in that window (the first, on ties)
    double value = 0.0;
};

struct TokenUnitExamples {
    int64_t unit = -1;
    std::vector<TokenExample> top;  // best first, one per window
};

struct TokenExamplesResult {
    std::string layer;
    std::vector<TokenUnitExamples> units;  // in the order asked
    int64_t tokens = 0;                    // read
    double seconds = 0.0;
};

/// The `k` windows of `corpus` with the largest value of each of `units` (all when empty) of
/// `layer`, best first; equal values go to the lower window. `mask` null: the model; otherwise the
/// circuit. Windows run in batches of equal length (exact for any model); progress ("examples",
/// fraction of tokens); cancel between batches.
Result<TokenExamplesResult> topTokenExamples(Workspace& workspace, const MaskHandle& mask, const TokenCorpus& corpus,
                                             const std::string& layer, const std::vector<int64_t>& units, int64_t k,
                                             JobContext& job);

}  // namespace cx::engine
