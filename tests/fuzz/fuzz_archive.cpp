// libFuzzer: TorchScript archives from any bytes through Model::load (the zip-bomb bound, the
// storage checks, LibTorch's reader, the graph analysis): a model or an error, never a crash.
#include <cstdint>
#include <cstdlib>

#include "engine/model/model.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = writeFuzzInput(data, size, ".pt");
    auto model = cx::engine::Model::load(path);
    if (model && model.value()->summary().sha256.size() != 64) std::abort();
    return 0;
}
