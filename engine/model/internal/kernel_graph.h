#pragma once
// Kernel-level connectivity of a model, from its channel dependency graph: which kernels can
// reach a target (relevance), and which kept kernels lie on an input-to-target path
// (dead-end removal). A "kernel" is (output unit o, input channel i within o's group) of a
// conv layer, or one weight (o, i) of a linear layer; grids are O x I_per_group, in output-major
// order whatever the weight's storage layout.
#include <cstdint>
#include <vector>

#include "engine/model/layer_info.h"

namespace cx::engine {

/// Per-layer boolean grid (O x Ipg, row-major); empty for layers outside the circuit.
using KernelGrid = std::vector<std::vector<uint8_t>>;

class KernelGraph {
public:
    explicit KernelGraph(const ModelSummary& summary);

    int64_t outUnits(int layer) const { return m_layers[size_t(layer)].out; }
    int64_t inPerGroup(int layer) const { return m_layers[size_t(layer)].inPerGroup; }
    int64_t gridSize(int layer) const { return outUnits(layer) * inPerGroup(layer); }

    /// Kernels with a path to the target rows of `targetLayer` (layers after it: none).
    KernelGrid relevant(int targetLayer, const std::vector<int64_t>& targetRows) const;

    struct Effective {
        KernelGrid kernels;         // kept kernels on some input-to-target path
        bool disconnected = false;  // no kept path from the input reaches any target row
    };
    /// Removes dead ends from a kept set (a subset of the relevant kernels).
    Effective effective(const KernelGrid& kept, int targetLayer, const std::vector<int64_t>& targetRows) const;

    struct Source {
        int layer;        // kModelInput or a layer index
        int64_t channel;  // -1: every channel of that source
    };
    /// Where kernel (o, i) of a layer reads from.
    const std::vector<Source>& sourcesOf(int layer, int64_t o, int64_t i) const {
        const Layer& l = m_layers[size_t(layer)];
        return l.sources[size_t(globalInput(l, o, i))];
    }

private:
    struct Layer {
        int64_t out = 0, inPerGroup = 0, groups = 1, inChannels = 0;
        std::vector<std::vector<Source>> sources;  // per global input channel
    };
    std::vector<Layer> m_layers;

    static void markSources(const std::vector<Source>& sources, std::vector<std::vector<uint8_t>>& needed);
    int64_t globalInput(const Layer& l, int64_t o, int64_t i) const {
        return (o / (l.out / l.groups)) * l.inPerGroup + i;
    }
};

}  // namespace cx::engine
