#include "engine/diagram/node_picture.h"

namespace cx::engine {

NodeImage pictureOf(const torch::Tensor& chw, const std::string& kind, int64_t maxSide) {
    auto rgb = chw.size(0) == 3 ? chw : chw.narrow(0, 0, 1).expand({3, chw.size(1), chw.size(2)});
    const int64_t side = std::max(rgb.size(1), rgb.size(2));
    if (side > maxSide) {
        const double f = double(maxSide) / double(side);
        rgb = torch::nn::functional::interpolate(
                  rgb.unsqueeze(0), torch::nn::functional::InterpolateFuncOptions()
                                        .size(std::vector<int64_t>{std::max<int64_t>(1, std::llround(rgb.size(1) * f)),
                                                                   std::max<int64_t>(1, std::llround(rgb.size(2) * f))})
                                        .mode(torch::kArea))
                  .squeeze(0);
    }
    auto bytes = (rgb * 255.0).round().clamp(0, 255).to(torch::kUInt8).permute({1, 2, 0}).contiguous();
    NodeImage out;
    out.kind = kind;
    out.height = int(bytes.size(0));
    out.width = int(bytes.size(1));
    out.rgb.assign(bytes.data_ptr<uint8_t>(), bytes.data_ptr<uint8_t>() + bytes.numel());
    return out;
}

}  // namespace cx::engine
