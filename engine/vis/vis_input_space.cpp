// The input space of the session's images, for pictures that the same model reads.
#include <filesystem>

#include "engine/data/images.h"
#include "engine/data/internal/job_inputs.h"
#include "engine/model/internal/workspace_impl.h"
#include "engine/vis/feature_vis.h"

namespace cx::engine {

bool readsImages(const Workspace& workspace) {
    const int64_t channels = inputChannels(workspace.summary());
    return channels == 1 || channels == 3;
}

Result<VisSettings> visSettingsForImages(Workspace& workspace, const std::string& imagesPath, VisSettings base) {
    auto set = workspace.impl().images(imagesPath, ImageOptions{});
    if (!set) return set.error();
    const auto& images = set.value()->images;
    if (images.dim() != 4)
        return invalidInput(imagesPath + " holds token ids, not images: feature visualisation needs an image model");
    base.height = images.size(2);
    base.width = images.size(3);
    std::error_code ec;
    if (std::filesystem::is_directory(imagesPath, ec)) {
        base.normalize = true;  // the folder was loaded ImageNet-normalised: the model reads that space
        base.mean = ImageOptions{}.mean;
        base.std = ImageOptions{}.std;
    } else {
        base.normalize = images.min().item<float>() < 0.0f || images.max().item<float>() > 1.0f;
    }
    return base;
}

}  // namespace cx::engine
