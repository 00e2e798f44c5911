#pragma once
// The built-in demo transformer (seed 000, Figure 1): a 2-layer GPT-2-style decoder (pre-LN,
// learned positions, 4 heads, GELU MLP, causal attention) trained multitask on two-digit addition
// and multiplication modulo 100 (engine/data/arithmetic.h). Input: N x 7 int64 tokens; output:
// N x 7 x 13 next-token logits. Module paths: tok_emb, pos_emb, block{0,1}.{ln1,attn.{q,k,v,o},
// ln2,mlp.{fc,proj}}, ln_f, head; each attention module carries an int attribute num_heads.
#include <cstdint>
#include <string>

#include "engine/core/error.h"
#include "engine/core/job.h"
#include "engine/data/arithmetic.h"

namespace cx::engine {

struct DemoTransformerOptions {
    std::string out;        // TorchScript file to write
    int64_t steps = 6000;   // AdamW steps (batches drawn with replacement from the training split)
    int64_t batchSize = 256;
    int64_t width = 128;    // d_model; heads = 4, MLP width = 4 * d_model
    int64_t layers = 2;
    double learningRate = 1e-3;  // warm-up over 200 steps, then cosine decay to 0
    double weightDecay = 0.1;
    uint64_t seed = 0;
};

struct DemoTransformerReport {
    double additionAccuracy = 0.0;        // exact answers on the held-out problems
    double multiplicationAccuracy = 0.0;
    int64_t heldOutProblems = 0;          // per task
    double trainLoss = 0.0;               // mean over the last 100 steps
    double seconds = 0.0;
};

/// Builds, trains and saves the demo transformer (atomically). Progress per step; cancel
/// between steps (Cancelled, nothing written).
Result<DemoTransformerReport> trainDemoTransformer(const DemoTransformerOptions& options, JobContext& job);

/// Exact-answer accuracy of a saved model on a task's held-out problems.
Result<double> arithmeticAccuracy(const std::string& modelPath, ArithmeticOp op);

}  // namespace cx::engine
