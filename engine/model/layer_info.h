#pragma once
// Plain value types describing a loaded model: its prunable layers and how channels flow
// between them. No torch types, so Qt code can include this.
#include <cstdint>
#include <string>
#include <vector>

namespace cx::engine {

enum class LayerKind { Conv1d, Conv2d, Linear, TransposedLinear };

/// "conv1d", "conv2d", "linear", "linear_t" (weight stored in x out, GPT-2 Conv1D).
const char* layerKindName(LayerKind kind);

/// How a consumer's input channels relate to a source's output channels.
enum class FlowMode {
    Identity,  // consumer channel dst+j reads source channel src+j
    Expand,    // consumer channels dst+j*f .. dst+j*f+f-1 read source channel src+j (flatten: f = H*W)
    Dense      // every consumer channel in the span reads every source channel in the span
};

const char* flowModeName(FlowMode mode);

constexpr int kModelInput = -1;  // source id of the model's input

/// Where a linear layer's examples lie in its input (and output): a dimension, or merged with
/// the positions into the rows of a 2-D view (GPT-2's x.view(-1, C)).
constexpr int kExamplesMergedMajor = -1;  // rows = example * positions + position
constexpr int kExamplesMergedMinor = -2;  // rows = position * examples + example (seq-first)
constexpr int kExamplesUnknown = -3;      // not followed: per-example saliency is refused

/// One span of a layer's input channels and the source channels it comes from.
struct InputSegment {
    int source = kModelInput;     // layer index, or kModelInput
    int64_t channelOffset = 0;    // first consumer input channel (in the consumer's units)
    int64_t channels = 0;         // consumer input channels in the span (-1: all, unknown)
    int64_t sourceOffset = 0;     // first source output channel
    int64_t sourceChannels = 0;   // source channels in the span (-1: all, unknown)
    FlowMode mode = FlowMode::Identity;
};

/// Which input pixels can reach one output position of a layer, from the graph's convolutions,
/// poolings and paddings: output (i, j) reads input rows start[0] + i * jump[0] ... + size[0] - 1
/// and columns start[1] + j * jump[1] ... + size[1] - 1 (clipped to the image).
struct ReceptiveField {
    enum class Kind {
        Unknown,  // the graph does something the analysis does not follow (reason says what)
        Exact,    // the affine rule above
        Whole     // every input pixel can reach every output (global pooling, linear layers)
    };
    Kind kind = Kind::Unknown;
    int64_t jump[2] = {1, 1}, start[2] = {0, 0}, size[2] = {1, 1};
    std::string reason;
    // Exact, and every pixel also reaches the output through a per-channel gate computed from
    // the whole image (squeeze-and-excitation): the box is the local field the gate scales.
    bool globalGain = false;

    /// Rows and columns (top, left, bottom, right, inclusive) of output (i, j) on an h x w input.
    /// Exact: the clipped rule; otherwise the whole image.
    void box(int64_t i, int64_t j, int64_t h, int64_t w, int64_t out[4]) const;
};

/// One convolution or linear op found in the model's forward graph.
struct LayerInfo {
    std::string name;              // module path, e.g. "features.6"
    std::string param;             // weight parameter path, e.g. "features.6.weight"
    std::string biasParam;         // empty when the op has no bias
    LayerKind kind = LayerKind::Linear;
    std::vector<int64_t> weightShape;
    int64_t inChannels = 0;        // input channels (all groups) or input features
    int64_t outChannels = 0;       // output channels or output features
    std::vector<int64_t> stride, padding, dilation;  // empty for linear layers
    int64_t groups = 1;
    bool reachable = true;         // output reaches the model output
    bool inControlFlow = false;    // inside an if/loop block: cannot be probed
    std::vector<InputSegment> inputs;
    int exampleDim = 0;            // linear layers: see kExamplesMerged*; convolutions: 0
    // The batch-norm that directly follows the layer (its affine parameters), if any: a pruned
    // filter's channel must lose what that adds too (beta - gamma mu / sigma).
    std::string normWeightParam, normBiasParam;
    // Attention projections: set when the layer sits in a module with an integer `num_heads`
    // attribute (nn.MultiheadAttention, the demo transformer, many GPT-2 ports).
    int64_t heads = 0;             // 0: not known to be an attention projection
    std::string attention;         // that module's path
    ReceptiveField field;          // of one output position (2-d convolutions; others: Whole or Unknown)

    bool hasBias() const { return !biasParam.empty(); }
    bool isConv() const { return kind == LayerKind::Conv1d || kind == LayerKind::Conv2d; }
};

/// Everything `cx inspect` reports about a model.
struct ModelSummary {
    std::string path;
    std::string sha256;              // of the model file
    std::vector<LayerInfo> layers;   // in forward (graph) order
    int64_t parameterCount = 0;
    std::vector<std::string> notes;  // analysis caveats (ops treated conservatively, ...)
    // > 0: the scripted forward asked its input's rank and was specialised on this one (a batch);
    // inputs of another rank are refused.
    int64_t inputRank = 0;

    /// Index of the layer with this name, or -1.
    int indexOf(const std::string& name) const;
    /// Human-readable name of a source id ("input" or the layer name).
    std::string sourceName(int source) const;
};

}  // namespace cx::engine
