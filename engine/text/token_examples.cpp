// Per batch (windows of one length), each unit's largest value over positions, merged with every
// unit's running top k by one sort over (kept k + batch) rows: first by window (so that equal
// values keep the lower window), then a stable sort by value.
#include "engine/text/token_examples.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "engine/core/internal/guard.h"
#include "engine/text/internal/neuron_reader_impl.h"
#include "engine/text/neuron_reader.h"

namespace cx::engine {
namespace {

constexpr size_t kBatch = 64;

}  // namespace

Result<TokenExamplesResult> topTokenExamples(Workspace& workspace, const MaskHandle& mask, const TokenCorpus& corpus,
                                             const std::string& layer, const std::vector<int64_t>& unitsAsked, int64_t k,
                                             JobContext& job) {
    if (k < 1) return invalidInput("--top must be at least 1, got " + std::to_string(k));
    auto reader = NeuronReader::open(workspace, mask, layer, unitsAsked);
    if (!reader) return reader.error();
    const auto& impl = reader.value().impl();
    return guarded<TokenExamplesResult>("dataset examples", [&]() -> Result<TokenExamplesResult> {
        const auto start = std::chrono::steady_clock::now();
        torch::NoGradGuard noGrad;
        std::vector<size_t> order(corpus.windows.size());
        std::iota(order.begin(), order.end(), size_t(0));
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return corpus.windows[a].ids.size() < corpus.windows[b].ids.size(); });
        torch::Tensor bestValue, bestWindow, bestAnchor;  // kept x U
        int64_t done = 0;
        for (size_t from = 0; from < order.size();) {
            if (job.cancelled()) return cancelledError();
            const size_t length = corpus.windows[order[from]].ids.size();
            size_t to = from;
            while (to < order.size() && to - from < kBatch && corpus.windows[order[to]].ids.size() == length) ++to;
            const int64_t n = int64_t(to - from);
            auto ids = torch::empty({n, int64_t(length)}, torch::kInt64);
            auto windowIndex = torch::empty({n}, torch::kInt64);
            for (int64_t r = 0; r < n; ++r) {
                const auto& w = corpus.windows[order[from + size_t(r)]];
                ids[r].copy_(torch::tensor(w.ids, torch::kInt64));
                windowIndex[r] = int64_t(order[from + size_t(r)]);
            }
            auto [value, anchor] = impl.values(ids).max(1);  // N x U: the first largest position
            auto window = windowIndex.unsqueeze(1).expand_as(value).contiguous();
            if (bestValue.defined()) {
                value = torch::cat({bestValue, value});
                window = torch::cat({bestWindow, window});
                anchor = torch::cat({bestAnchor, anchor});
            }
            const auto byWindow = std::get<1>(window.sort(/*stable=*/true, 0, false));
            value = value.gather(0, byWindow);
            window = window.gather(0, byWindow);
            anchor = anchor.gather(0, byWindow);
            const int64_t take = std::min<int64_t>(k, value.size(0));
            const auto best = std::get<1>(value.sort(/*stable=*/true, 0, /*descending=*/true)).narrow(0, 0, take);
            bestValue = value.gather(0, best);
            bestWindow = window.gather(0, best);
            bestAnchor = anchor.gather(0, best);
            done += n * int64_t(length);
            job.progress("examples", double(done) / double(std::max<int64_t>(corpus.tokens, 1)));
            from = to;
        }
        TokenExamplesResult out;
        out.layer = layer;
        out.tokens = done;
        const auto values = bestValue.to(torch::kFloat64);
        const auto v = values.accessor<double, 2>();
        const auto w = bestWindow.accessor<int64_t, 2>();
        const auto a = bestAnchor.accessor<int64_t, 2>();
        for (size_t u = 0; u < impl.units.size(); ++u) {
            TokenUnitExamples ex;
            ex.unit = impl.units[u];
            for (int64_t r = 0; r < values.size(0); ++r) ex.top.push_back({w[r][long(u)], a[r][long(u)], v[r][long(u)]});
            out.units.push_back(std::move(ex));
        }
        out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return out;
    });
}

}  // namespace cx::engine
