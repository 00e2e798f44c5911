#pragma once
// The threshold units of a layer of a model or a circuit, as seed 004 reads neurons: each output
// unit with its kept inputs, an input being on (1) or off (0). A linear unit's input is one input
// feature; a convolution's input is one input channel, on meaning a constant map of 1, so its
// weight is the sum of the kept taps of that kernel (the response away from the borders). Inputs
// are named by the channel of the layer they come from where the graph says so (so that the next
// layer's units can be matched through them), else by the layer's own input index. Plain C++.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/equiv/signature.h"
#include "engine/model/workspace.h"

namespace cx::engine {

struct LayerUnits {
    std::string layer;
    std::vector<ThresholdUnit> units;  // the units with at least one kept input (all of them without a mask)
    int source = -2;                   // the layer the inputs are channels of (kModelInput: the model's input);
                                       // -2: the inputs are the layer's own input indices
    std::string note;                  // how the inputs were read
    int64_t outChannels = 0;
};

/// `layer`'s units in the model (`mask` null) or in the circuit. Refused with the reason: a layer
/// with a batch-norm after it (its running statistics move every threshold), an unknown layer.
Result<LayerUnits> circuitUnits(Workspace& workspace, const MaskHandle& mask, const std::string& layer);

}  // namespace cx::engine
