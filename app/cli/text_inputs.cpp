#include "app/cli/text_inputs.h"

#include <filesystem>

#include "engine/model/target.h"

namespace cx::app {
namespace {

bool endsWith(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

const char* const kTokenizerOptionsHelp = R"(  --tokenizer FILE         the model's tokenizer: a tokenizer.json, BERT's vocab.txt (lower-cased
                           unless --cased) or GPT-2's encoder.json with --merges vocab.bpe
                           (default: tokenizer.json beside the model)
  --context N              the longest window read, in tokens (default 64)
)";

engine::Result<engine::Tokenizer> tokenizerFor(const Args& args, const std::string& modelPath) {
    std::string file = args.value("tokenizer", "");
    if (file.empty()) {
        file = (std::filesystem::path(modelPath).parent_path() / "tokenizer.json").string();
        std::error_code ec;
        if (!std::filesystem::exists(file, ec))
            return engine::invalidInput("no --tokenizer given and no tokenizer.json beside " + modelPath);
    }
    if (args.has("merges")) return engine::Tokenizer::readGpt2(file, *args.value("merges"));
    if (endsWith(file, ".txt")) return engine::Tokenizer::readVocabTxt(file, !args.has("cased"));
    return engine::Tokenizer::readTokenizerJson(file);
}

engine::Result<engine::TokenCorpus> corpusFor(const Args& args, const engine::Tokenizer& tokenizer) {
    std::string err;
    const long long context = args.integer("context", 64, err).value_or(0);
    if (!err.empty()) return engine::invalidInput(err);
    if (context < 1 || context > 100000) return engine::invalidInput("--context must be 1..100000 tokens, got " + std::to_string(context));
    auto corpus = engine::readTextCorpus(*args.value("corpus"));
    if (!corpus) return corpus.error();
    return engine::windowCorpus(corpus.value(), tokenizer, context);
}

std::string markedText(const engine::Tokenizer& tokenizer, const std::vector<int64_t>& ids, int64_t begin, int64_t end,
                       int64_t anchor) {
    std::string out;
    for (int64_t i = begin; i < end; ++i) {
        const std::string piece = tokenizer.decode({ids[size_t(i)]});
        const bool spaced = tokenizer.kind() != engine::Tokenizer::Kind::ByteLevelBpe && i > begin;
        if (spaced) out += " ";
        out += i == anchor ? "[[" + piece + "]]" : piece;
    }
    return out;
}

engine::Result<std::pair<std::string, int64_t>> neuronFor(const Args& args) {
    const auto text = args.value("neuron");
    if (!text) return engine::invalidInput("no --neuron LAYER:UNIT given");
    auto target = engine::parseTarget(*text);
    if (!target) return target.error();
    if (target.value().unit < 0) return engine::invalidInput("--neuron needs LAYER:UNIT, got '" + *text + "'");
    return std::make_pair(target.value().layer, target.value().unit);
}

}  // namespace cx::app
