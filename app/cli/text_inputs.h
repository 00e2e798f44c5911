#pragma once
// What the token-model commands (top-examples --corpus, mae, local-search) read besides the
// model: its tokenizer, a corpus in windows, a neuron.
#include <string>

#include "app/cli/args.h"
#include "engine/core/error.h"
#include "engine/text/token_corpus.h"
#include "engine/text/tokenizer.h"

namespace cx::app {

/// The options text_inputs reads, for the commands' Args.
extern const char* const kTokenizerOptionsHelp;

/// --tokenizer FILE (a tokenizer.json; BERT's vocab.txt, lower-cased unless --cased; GPT-2's
/// encoder.json, with --merges vocab.bpe), else tokenizer.json beside the model.
engine::Result<engine::Tokenizer> tokenizerFor(const Args& args, const std::string& modelPath);

/// --corpus PATH in windows of --context tokens (default 64).
engine::Result<engine::TokenCorpus> corpusFor(const Args& args, const engine::Tokenizer& tokenizer);

/// The text of ids[begin, end) with the token at `anchor` in [[ ]].
std::string markedText(const engine::Tokenizer& tokenizer, const std::vector<int64_t>& ids, int64_t begin, int64_t end,
                       int64_t anchor);

/// --neuron LAYER:UNIT.
engine::Result<std::pair<std::string, int64_t>> neuronFor(const Args& args);

}  // namespace cx::app
