#pragma once
// Feature visualisation by activation maximisation (Olah et al. 2017; seed 002 draws its circuit
// diagrams' vertices this way, "with respect to the circuit, not the original model"): images
// optimised in a decorrelated Fourier basis under robustness transforms so that a unit, a
// channel or a direction responds as strongly as it can, in the model or in a circuit (a mask).
// Many objectives are optimised together as one batch. Results are cached on disk by model,
// mask, objective and settings. Plain C++ (no torch types): the GUI includes it.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/diagram/diagram_types.h"
#include "engine/diagram/node_image.h"
#include "engine/model/workspace.h"

namespace cx::engine {

enum class VisKind {
    Neuron,    // the unit at the centre position of its map (the whole unit for a linear layer)
    Channel,   // the unit's mean over all positions
    Direction  // the mean over positions of sum_c direction[c] * activation[c]
};

struct VisObjective {
    std::string layer;
    int64_t unit = -1;               // Neuron / Channel
    VisKind kind = VisKind::Neuron;
    std::vector<double> direction;   // Direction: one coefficient per output channel
    bool negative = false;           // minimise instead

    /// "features.conv4:27", "features.conv4:27 channel", "features.conv4 direction", "... negative".
    std::string text() const;
};

struct VisSettings {
    int steps = 512;
    double learningRate = 0.05;      // Adam, on the Fourier spectrum
    int64_t height = 224, width = 224;
    bool normalize = true;           // the model reads ImageNet-normalised input (as image folders load)
    std::array<float, 3> mean{0.485f, 0.456f, 0.406f};
    std::array<float, 3> std{0.229f, 0.224f, 0.225f};
    bool transforms = true;          // robustness transforms each step
    uint64_t seed = 0;
    int64_t batch = 16;              // objectives optimised together
    std::vector<int> snapshots;      // steps after which each picture is also kept (e.g. 32, 128)
    std::string cacheDir;            // empty: no disk cache
};

struct VisPicture {
    VisObjective objective;
    NodeImage crop;                  // the receptive field of the optimised position (whole image otherwise)
    std::array<int64_t, 4> box{};    // that crop: top, left, bottom, right (inclusive)
    std::string cropNote;            // why the crop is the whole image, when it is
    int64_t channels = 0, height = 0, width = 0;
    std::vector<float> image;        // C x H x W in 0..1 (the model's input before normalisation)
    double activation = 0.0;         // the unit's value on the final image, untransformed (a negative
                                     // objective minimised it: its own value, not the negated one)
    std::vector<std::vector<float>> snapshots;  // one C x H x W image per VisSettings::snapshots step
    // The objective never had a gradient: it does not depend on the input in this network (a
    // disconnected circuit, or a unit that never turns on), and the picture is the starting image.
    bool flat = false;
    bool fromCache = false;
};

/// Optimises one picture per objective. `mask` (may be null): optimise w.r.t. that circuit. An
/// objective whose layer the model lacks, a unit out of range, a model whose input is not a 1-
/// or 3-channel image: InvalidInput naming it. `onPicture` is called as each picture is done (in
/// the caller's thread), progress is ("visualise", fraction of all steps); cancel between steps.
Result<std::vector<VisPicture>> visualizeUnits(Workspace& workspace, const MaskHandle& mask,
                                               const std::vector<VisObjective>& objectives, const VisSettings& settings,
                                               JobContext& job, const std::function<void(const VisPicture&)>& onPicture = {});

/// Sets the picture of every unit vertex of a model layer in `diagram` to its visualisation
/// (neuron objective) w.r.t. `mask`, the circuit the diagram shows (null: the model); input
/// channels and group vertices keep what they have. Pictures come from the cache where they can.
/// `onNode` (optional) is called with each vertex's index and picture as it is done, in the
/// caller's thread: what a view shows while the rest are still being optimised.
Status addVisualisationPictures(CircuitDiagram& diagram, Workspace& workspace, const MaskHandle& mask,
                                const VisSettings& settings, JobContext& job,
                                const std::function<void(size_t node, const NodeImage& picture)>& onNode = {});

/// Whether the model reads 1- or 3-channel images: what feature visualisation needs (a token
/// model's units have none).
bool readsImages(const Workspace& workspace);

/// `base` in the input space of the images at `imagesPath` (a folder, a safetensors file: what
/// the model is scored on): their height and width; ImageNet normalisation for a folder (it loads
/// normalised), and for a file whose values leave 0..1; a file in 0..1 is read as it is.
Result<VisSettings> visSettingsForImages(Workspace& workspace, const std::string& imagesPath, VisSettings base = {});

/// Writes the pictures: to FILE.png the first picture's crop; to a folder, per picture
/// NAME.png (the crop) and NAME_full.png (the whole optimised image), NAME from its objective
/// (layer_unit[_channel][_negative]), plus images.safetensors: key `images`, N x C x H x W in the
/// model's input space (normalised as the model reads it), for any tool to evaluate. Returns the
/// files written. Every file is written atomically.
Result<std::vector<std::string>> writeVisualisations(const std::vector<VisPicture>& pictures, const VisSettings& settings,
                                                     const std::string& out);

/// The folder pictures are cached in by default: $XDG_CACHE_HOME/circuit-explorer/visualisations
/// (~/.cache/... without it).
std::string defaultVisCacheDir();

}  // namespace cx::engine
