#pragma once
// The text demo (seed 003): a GPT-style causal language model and a BERT-style masked language
// model, both trained here from scratch on Debian's `fortunes` collections with the project's
// word-level tokenizer, so that dataset examples, minimal activating examples and local search
// have a real language model to study. The two share one tokenizer.json. Every tenth fortune is
// held out (engine/text/corpus.h); the figures below are measured on those.
#include <cstdint>
#include <string>

#include "engine/core/error.h"
#include "engine/core/job.h"

namespace cx::engine {

enum class LanguageModelKind { Causal, Masked };

struct DemoLanguageOptions {
    LanguageModelKind kind = LanguageModelKind::Causal;
    std::string corpus;            // a file or folder (readTextCorpus); empty: the demo corpus
    std::string out;               // TorchScript file to write
    std::string tokenizer;         // tokenizer.json: read when it exists, else built from the training split and written
    int64_t vocabulary = 4096;     // when the tokenizer is built
    int64_t context = 64;          // the longest input, in tokens
    int64_t width = 128;           // d_model; 4 heads, MLP 4 x width
    int64_t layers = 2;
    int64_t steps = 2500;          // AdamW steps (cx demo train-mlm: 4000)
    int64_t batchSize = 64;        // windows per step
    double learningRate = 2e-3;    // warm-up over 100 steps, then cosine decay to 0
    double weightDecay = 0.1;
    uint64_t seed = 0;
};

struct DemoLanguageReport {
    double trainLoss = 0.0;        // mean over the last 100 steps
    double heldOut = 0.0;          // causal: perplexity; masked: top-1 accuracy
    int64_t heldOutTokens = 0;     // the tokens it was measured on
    int64_t trainTokens = 0;
    bool tokenizerBuilt = false;
    double seconds = 0.0;
};

/// Reads the corpus, builds (or reads) the tokenizer, trains, measures on the held-out split and
/// saves the model (atomically; a built tokenizer too). Progress per step; cancel between steps
/// (Cancelled, nothing written).
Result<DemoLanguageReport> trainDemoLanguageModel(const DemoLanguageOptions& options, JobContext& job);

/// A causal model's perplexity on the held-out fortunes: exp of the mean cross-entropy of every
/// next token of each held-out document ([BOS] document [EOS], in windows of `context` inputs),
/// [UNK] counted as a word like any other.
Result<DemoLanguageReport> heldOutPerplexity(const std::string& modelPath, const std::string& tokenizerPath,
                                             const std::string& corpus, int64_t context = 64);

/// A masked model's top-1 accuracy on the held-out fortunes: in each window of `context` tokens
/// 15% of positions (fixed seed, at least one) are replaced by [MASK]; the share of those whose
/// most probable token is the original one, over masked tokens that are not [UNK].
Result<DemoLanguageReport> heldOutMaskedAccuracy(const std::string& modelPath, const std::string& tokenizerPath,
                                                 const std::string& corpus, int64_t context = 64);

}  // namespace cx::engine
