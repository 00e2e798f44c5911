// `cx tokenize`: what a tokenizer file makes of a text - the check before a token model's
// neurons are read through it.
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "engine/text/tokenizer.h"

namespace cx::app {
namespace {

const char* kHelp = R"(usage: cx tokenize TOKENIZER --text TEXT [--merges vocab.bpe] [--cased] [--json]

Reads a tokenizer and prints the ids and tokens of TEXT, then the text decoded back:
  tokenizer.json   HuggingFace's: a byte-level BPE (GPT-2), WordPiece (BERT) or WordLevel model
  vocab.txt        BERT's vocabulary, a token per line (lower-cased unless --cased)
  encoder.json     GPT-2's vocabulary, with its merges in --merges vocab.bpe
What a file asks for that is not followed exactly (another model type, normalizer or
pre-tokenizer, BPE dropout, ...) is refused with the reason.

  --text TEXT      the text (no special tokens are added)
  --json           print {"ids": [...], "tokens": [...], "decoded": "..."}
)";

bool endsWith(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

int runTokenizeCommand(const std::vector<std::string>& argv) {
    Args args(argv, {"text", "merges"}, {"cased", "json", "help"});
    if (args.has("help")) return std::cout << kHelp, 0;
    if (!args.ok()) return usageError(args.error());
    if (args.positional().size() != 1) return usageError("tokenize takes one TOKENIZER file (see cx tokenize --help)");
    if (!args.value("text")) return usageError("tokenize needs --text");
    const std::string file = args.positional()[0];
    const bool gpt2 = args.has("merges");
    if (args.has("cased") && (gpt2 || !endsWith(file, ".txt"))) return usageError("--cased goes with a vocab.txt");
    engine::Result<engine::Tokenizer> tokenizer = gpt2                      ? engine::Tokenizer::readGpt2(file, *args.value("merges"))
                                                  : endsWith(file, ".txt") ? engine::Tokenizer::readVocabTxt(file, !args.has("cased"))
                                                                           : engine::Tokenizer::readTokenizerJson(file);
    if (!tokenizer) return reportError(tokenizer.error());
    const auto& t = tokenizer.value();
    const std::string text = *args.value("text");
    const auto ids = t.encode(text);
    std::vector<std::string> tokens;
    for (int64_t id : ids) tokens.push_back(t.tokenText(id));
    const std::string decoded = t.decode(ids);
    if (args.has("json")) {
        // Token spellings need not be UTF-8 (a byte-level piece of a character): replaced, not refused.
        std::cout << nlohmann::json({{"ids", ids}, {"tokens", tokens}, {"decoded", decoded}}).dump(1, ' ', false,
                                                                                                 nlohmann::json::error_handler_t::replace)
                  << "\n";
        return 0;
    }
    std::cout << ids.size() << " tokens (vocabulary of " << t.vocabSize() << ")\n";
    for (size_t i = 0; i < ids.size(); ++i) std::cout << "  " << ids[i] << "\t" << tokens[i] << "\n";
    std::cout << "decoded: " << decoded << "\n";
    return 0;
}

}  // namespace cx::app
