// `cx merge`: shard outputs of population runs joined into what the unsharded run writes.
#include <set>
#include <sstream>

#include "engine/io/atomic_file.h"
#include "engine/io/file_read.h"
#include "engine/io/safetensors.h"
#include "engine/pruning/population.h"

namespace cx::engine {
namespace {

bool endsWith(const std::string& text, const std::string& tail) {
    return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

std::vector<std::string> splitList(const std::string& text) {
    std::vector<std::string> items;
    std::stringstream s(text);
    for (std::string item; std::getline(s, item, ',');) items.push_back(item);
    return items;
}

// Sweep CSVs: one header, then every shard's rows; the leading column is the unit.
Status mergeCsv(const std::vector<std::string>& inputs, const std::string& out) {
    std::string header, merged;
    std::set<std::string> seen;
    for (const auto& path : inputs) {
        auto bytes = readInputFile(path, "sweep CSV");
        if (!bytes) return bytes.error();
        std::stringstream lines(std::string(bytes.value().begin(), bytes.value().end()));
        std::string first;
        if (!std::getline(lines, first) || first.rfind("unit,", 0) != 0)
            return invalidInput(path + ": not a population sweep CSV (its header does not start with 'unit,')");
        if (header.empty()) header = first;
        if (first != header) return invalidInput(path + ": its columns differ from " + inputs.front() + "'s");
        std::set<std::string> own;
        for (std::string line; std::getline(lines, line);) {
            if (line.empty()) continue;
            const std::string unit = line.substr(0, line.find(','));
            if (seen.count(unit)) return invalidInput(path + ": unit " + unit + " is in an earlier shard too");
            own.insert(unit);
            merged += line + "\n";
        }
        seen.insert(own.begin(), own.end());
    }
    return writeFileAtomic(out, header + "\n" + merged);
}

// Population scores: the same settings, rows stacked along the unit axis in the order given.
Status mergeScores(const std::vector<std::string>& inputs, const std::string& out) {
    SafetensorsFile merged;
    std::vector<std::string> units, relevant;
    std::set<std::string> seen;
    for (const auto& path : inputs) {
        auto file = readSafetensors(path);
        if (!file) return file.error();
        auto meta = file.value().metadata;
        if (meta["format"] != "cx-population/1") return invalidInput(path + ": not a population scores file (cx score --units)");
        for (const auto& u : splitList(meta["units"])) {
            if (!seen.insert(u).second) return invalidInput(path + ": unit " + u + " is in an earlier shard too");
            units.push_back(u);
        }
        for (const auto& r : splitList(meta["relevant"])) relevant.push_back(r);
        meta.erase("units");
        meta.erase("relevant");
        if (merged.tensors.empty()) {
            merged.metadata = meta;
            merged.tensors = std::move(file.value().tensors);
            continue;
        }
        if (meta != merged.metadata) return invalidInput(path + ": made with other settings (model, target, criterion or images) than " + inputs.front());
        for (auto& [name, blob] : file.value().tensors) {
            auto it = merged.tensors.find(name);
            if (it == merged.tensors.end() || it->second.dtype != blob.dtype ||
                std::vector<int64_t>(it->second.shape.begin() + 1, it->second.shape.end()) != std::vector<int64_t>(blob.shape.begin() + 1, blob.shape.end()))
                return invalidInput(path + ": tensor " + name + " does not match " + inputs.front() + "'s");
            it->second.shape[0] += blob.shape[0];
            it->second.data.insert(it->second.data.end(), blob.data.begin(), blob.data.end());
        }
        if (file.value().tensors.size() != merged.tensors.size()) return invalidInput(path + ": its layers differ from " + inputs.front() + "'s");
    }
    const auto join = [](const std::vector<std::string>& items) {
        std::string text;
        for (size_t i = 0; i < items.size(); ++i) text += (i ? "," : "") + items[i];
        return text;
    };
    merged.metadata["units"] = join(units);
    merged.metadata["relevant"] = join(relevant);
    return writeSafetensors(out, merged);
}

}  // namespace

Status mergeShards(const std::vector<std::string>& inputs, const std::string& out) {
    if (inputs.empty()) return invalidInput("nothing to merge: give the shard outputs in order");
    if (out.empty()) return invalidInput("no output file given (--out FILE)");
    const bool csv = endsWith(inputs.front(), ".csv");
    for (const auto& path : inputs)
        if (endsWith(path, ".csv") != csv) return invalidInput(path + ": shards of one kind only (sweep CSVs or scores files)");
    if (endsWith(out, ".csv") != csv) return invalidInput(out + ": the merged file is of the shards' kind (" + (csv ? ".csv" : ".safetensors") + ")");
    return csv ? mergeCsv(inputs, out) : mergeScores(inputs, out);
}

}  // namespace cx::engine
