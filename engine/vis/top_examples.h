#pragma once
// Dataset examples: the images that most activate each unit of a layer, with the patch of each
// that reaches the unit (its receptive field, from the graph), in the model or in a circuit.
// All units of the layer are ranked in one batched pass over the images. Plain C++: the GUI
// includes it.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/diagram/node_image.h"
#include "engine/model/workspace.h"

namespace cx::engine {

struct TopExample {
    int64_t image = -1;              // index in the image set
    int64_t row = 0, col = 0;        // the position of the unit's largest value on that image (0, 0 for a linear unit)
    double value = 0.0;              // that value
    std::array<int64_t, 4> box{};    // the input pixels that reach it: top, left, bottom, right (inclusive)
};

struct UnitExamples {
    int64_t unit = -1;
    std::vector<TopExample> top;     // best first, one per image
};

struct TopExamplesResult {
    std::string layer;
    std::string boxNote;             // why every box is the whole image, when it is
    std::vector<UnitExamples> units; // in the order asked
};

/// The `k` images with the largest activation of each of `units` (all when empty) of `layer`,
/// one per image (its largest position), best first; ties go to the lower image index. `mask`
/// null: the model; otherwise the circuit as its sweep runs it. One forward pass in batches for
/// every unit at once; progress ("examples", fraction of images); cancel between batches.
Result<TopExamplesResult> topExamples(Workspace& workspace, const MaskHandle& mask, const std::string& imagesPath,
                                      const std::string& layer, const std::vector<int64_t>& units, int64_t k, JobContext& job);

/// An example's patch (its box of the image, stretched over the image's own range as the
/// diagram's crops are) as a picture of at most `maxSide` pixels a side.
Result<NodeImage> examplePatch(Workspace& workspace, const std::string& imagesPath, const TopExample& example,
                               int64_t maxSide = 64);

/// Writes to `dir` (created) one sheet per unit, LAYER_UNIT.png: a row of its top patches, each
/// scaled into a `cell`-pixel square, best first - the model's row, then the circuit's when
/// `circuit` is given (the same units in the same order). Returns the files, written atomically.
Result<std::vector<std::string>> writeExampleSheets(Workspace& workspace, const std::string& imagesPath,
                                                    const TopExamplesResult& model, const TopExamplesResult* circuit,
                                                    const std::string& dir, int64_t cell = 64);

/// Writes `patches` as one sheet to `path` (PNG, atomically): `columns` cells of `cell` pixels a
/// row, best first, each patch as writeExampleSheets draws it. An empty list is refused.
Status writePatchSheet(Workspace& workspace, const std::string& imagesPath, const std::vector<TopExample>& patches,
                       const std::string& path, int64_t columns = 10, int64_t cell = 64);

}  // namespace cx::engine
