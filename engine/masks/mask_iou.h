#pragma once
// `cx iou`: how much two mask files of one model agree, parameter by parameter (read as files;
// no model is loaded).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace cx::engine {

struct LayerIoU {
    std::string param;
    int64_t onlyA = 0, both = 0, onlyB = 0;
    double iou = 0.0;  // both / (onlyA + both + onlyB); NaN (undefined) for an empty union or a
                       // parameter one file lacks
};

/// Per-layer IoU of the kept units of two mask files of the same model and granularity.
Result<std::vector<LayerIoU>> maskIoU(const std::string& maskA, const std::string& maskB);

}  // namespace cx::engine
