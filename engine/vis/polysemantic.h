#pragma once
// Polysemantic units (seed 002, section 6.1 and appendix 8.9): a unit's top activations, one per
// image; the layer's population response at each of them; density clusters of those responses;
// then per cluster a subcircuit that preserves the unit's top activation on that cluster's images
// (the image-conditional "max" objective), its delta-f-norm curve on its own cluster and on the
// others (cross-preservation), and the per-layer IoU of the clusters' subcircuits. Plain C++:
// the GUI includes it.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/core/options.h"
#include "engine/model/workspace.h"
#include "engine/vis/density_clusters.h"
#include "engine/vis/top_examples.h"

namespace cx::engine {

struct PolysemanticSpec {
    std::string images;               // the data set (a folder or a safetensors file)
    std::string layer;
    int64_t unit = -1;
    int64_t top = 300;                // top activations, at most one per image (the seed: 300)
    DensityClusterOptions clustering; // minimum cluster size 10 (the seed's)
    // Subcircuits:
    Criterion criterion = Criterion::ActGrad;  // not FORCE (its schedule needs one circuit size)
    std::vector<double> sparsities;   // empty: defaultPolysemanticSparsities()
    double threshold = 0.15;          // the mask kept per cluster: the sparsest level before its own delta-f-norm passes this
    bool minmax = false;
    BiasMode bias = BiasMode::Masked;
    int64_t batchSize = 32;
    bool control = false;             // also two subcircuits of a random half split of the clustered patches (seed Fig. 6)
    uint64_t seed = 0;                // the control split
};

/// 20 levels evenly spaced from 0.5 to 0.005 (the seed used 70 over the same range).
std::vector<double> defaultPolysemanticSparsities();

struct PatchGroup {
    std::string name;                 // "cluster 0" .. or "control A", "control B"
    std::vector<int64_t> members;     // indices into PolysemanticResult::examples.top
    double stability = 0.0;           // a cluster's excess of mass (0 for a control half)
    // After pruneSubcircuits:
    std::string imagesFile;           // the group's images, the set its subcircuit is scored on
    std::vector<std::vector<double>> dfnorm;  // [group evaluated (clusters, then controls)][level]
    std::vector<int64_t> kept;        // kept units per level
    size_t chosen = 0;                // the level of `mask`
    bool chosenBelowThreshold = false;// false: even the first level's own delta-f-norm passes the threshold
    MaskHandle mask;                  // the subcircuit at the chosen level
};

struct LayerOverlap {
    std::string layer;
    int64_t both = 0, either = 0;     // kept in both / in at least one
    double iou = 0.0;                 // NaN where neither keeps anything
};

struct GroupOverlap {
    size_t a = 0, b = 0;              // indices into groups (clusters, then controls)
    std::vector<LayerOverlap> layers; // input side first
};

struct PolysemanticResult {
    std::string layer;
    int64_t unit = -1;
    UnitExamples examples;            // the unit's top activations, best first, one per image
    std::string boxNote;              // why every patch is the whole image, when it is
    std::vector<int64_t> labels;      // per example: its cluster, or -1 (noise)
    std::vector<PatchGroup> groups;   // the clusters, largest first; then the control halves
    size_t clusterCount = 0;          // groups[0 .. clusterCount) are clusters
    // After pruneSubcircuits:
    std::vector<double> sparsities;
    std::vector<GroupOverlap> overlaps;  // every pair of clusters, and the control pair
};

/// The unit's top `spec.top` activations (one per image, topExamples), the layer's response at
/// each (all its channels at that position: what the patch there evokes), and their density
/// clusters. Refuses token models and layers whose output is not a map or a vector. Progress
/// "examples", "population", "clusters"; cancel between batches.
Result<PolysemanticResult> clusterTopPatches(Workspace& workspace, const PolysemanticSpec& spec, JobContext& job);

/// Replaces any control groups with two random halves (seeded) of the clustered patches.
void addControlHalves(PolysemanticResult& result, uint64_t seed);

/// One subcircuit per group of `result` (clusters and any control halves), each scored on its
/// group's images (written to `workDir` as GROUP.safetensors) with the "max" objective at every
/// level, measured (delta-f-norm at each image's top position) on every group; the mask kept at
/// the sparsest level whose own delta-f-norm stays below the threshold; the per-layer IoU of
/// every pair. Needs at least one cluster. Progress "score GROUP", "evaluate GROUP".
Status pruneSubcircuits(Workspace& workspace, const PolysemanticSpec& spec, PolysemanticResult& result,
                        const std::string& workDir, JobContext& job);

/// Writes into `dir`: clusters.json (the settings, every example with its image, position, value,
/// box and cluster, each group's members, stability, chosen level and curves, the overlaps),
/// patches_GROUP.png (its patches, best first; noise.png for the unclustered), and after
/// pruning mask_GROUP.safetensors, curves.csv (group, evaluated on, sparsity, kept, dfnorm),
/// curves.svg (solid on its own group, dashed on the others), iou.csv and iou.svg. Atomic files.
Result<std::vector<std::string>> writePolysemantic(Workspace& workspace, const PolysemanticSpec& spec,
                                                   const PolysemanticResult& result, const std::string& dir);

/// clusters.json's text.
std::string polysemanticJson(const PolysemanticSpec& spec, const PolysemanticResult& result);

/// A group's file stem: "cluster_0", "control_a".
std::string groupStem(const PatchGroup& group);

}  // namespace cx::engine
