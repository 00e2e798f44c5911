// Dataset examples on the demo CNN: the top 9 images of every unit of a layer from one batched
// pass, against the same units ranked one at a time (one pass each), rounds interleaved so that
// the shared machine's drift hits both. Images/s and the batched speed-up are printed.
//   cmake --build build --target cx_bench_top_examples && build/tests/bench/cx_bench_top_examples [IMAGES] [LAYER]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/data/internal/image_set.h"
#include "engine/data/internal/shapes_render.h"
#include "engine/vis/top_examples.h"

using namespace cx::engine;

namespace {

double seconds(const std::chrono::steady_clock::time_point& t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    const int64_t count = argc > 1 ? std::atoll(argv[1]) : 1024;
    const std::string layer = argc > 2 ? argv[2] : "features.conv4";
    const std::string images = "/tmp/cx_bench_top_examples.safetensors";
    if (!saveImages(images, generateShapes({count, 5, 64}))) return 1;
    auto w = Workspace::open(CX_DEMO_MODEL);
    if (!w) return std::fprintf(stderr, "%s\n", w.error().message.c_str()), 1;
    auto& ws = *w.value();
    const int64_t units = ws.summary().layers[size_t(ws.summary().indexOf(layer))].outChannels;
    JobContext job;
    topExamples(ws, nullptr, images, layer, {0}, 9, job);  // warm: images read, plan compiled once
    double batched = 0, single = 0;
    constexpr int kRounds = 3;
    for (int round = 0; round < kRounds; ++round) {
        auto t0 = std::chrono::steady_clock::now();
        auto all = topExamples(ws, nullptr, images, layer, {}, 9, job);
        batched += seconds(t0);
        if (!all) return std::fprintf(stderr, "%s\n", all.error().message.c_str()), 1;
        t0 = std::chrono::steady_clock::now();
        for (int64_t u = 0; u < units; ++u) {
            auto one = topExamples(ws, nullptr, images, layer, {u}, 9, job);
            if (!one || one.value().units[0].top[0].image != all.value().units[size_t(u)].top[0].image)
                return std::fprintf(stderr, "unit %lld ranks differently alone\n", (long long)u), 1;
        }
        single += seconds(t0);
    }
    batched /= kRounds;
    single /= kRounds;
    std::printf("%s, %lld units, %lld images: all units in one pass %.3f s (%.0f images/s); one unit at a time %.3f s; "
                "batched speed-up %.1fx\n",
                layer.c_str(), (long long)units, (long long)count, batched, double(count) / batched, single, single / batched);
    return 0;
}
